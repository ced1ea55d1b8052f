import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Shared

/// Job status, by polling (`GET /api/jobs/{id}`) or as Server-Sent Events until the job ends.
struct JobsController {
    let queue: JobQueue
    let events: JobEventHub

    func addRoutes(to routes: RouteTable) {
        routes.get("/api/jobs/:id") { _, context in try await status(context) }
        routes.get("/api/jobs/:id/events") { _, context in try await stream(context) }
    }

    /// The job as clients see it; `result` is the handler's JSON, embedded as JSON.
    struct JobDocument: Encodable {
        let id: String
        let type: String
        let status: String
        let progress: Double
        let stage: String?
        let attempts: Int
        let result: JSONDocument?
        let error: String?
        let createdAt: Date?
        let startedAt: Date?
        let finishedAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, type, status, progress, stage, attempts, result, error
            case createdAt = "created_at"
            case startedAt = "started_at"
            case finishedAt = "finished_at"
        }

        init(_ record: JobRecord) {
            id = record.id
            type = record.type
            status = record.status.rawValue
            progress = record.progress
            stage = record.stage
            attempts = record.attempts
            result = record.result.flatMap { try? JSONDecoder().decode(JSONDocument.self, from: Data($0.utf8)) }
            error = record.error
            createdAt = record.createdAt
            startedAt = record.startedAt
            finishedAt = record.finishedAt
        }
    }

    private func record(_ context: AppRequestContext) async throws -> JobRecord {
        let id = PathParameter.string(context, "id")
        // Job ids are UUIDs; anything else cannot exist and never reaches Redis.
        guard UUID(uuidString: id) != nil else {
            throw APIError.badRequest(field: "id", "A job id is a UUID, got \"\(id.prefix(64))\".")
        }
        guard let record = try await queue.record(id.lowercased()) else {
            throw APIError.notFound("No job \(id): it never existed or finished more than 24 hours ago.")
        }
        return record
    }

    private func status(_ context: AppRequestContext) async throws -> Response {
        let record = try await record(context)
        // Pollers learn when to ask again; finished jobs need no more polling.
        let headers: HTTPFields = record.status.isFinished ? [:] : [.retryAfter: "1"]
        return try JSONBody.response(JobDocument(record), headers: headers)
    }

    /// `event: job` carries the whole job document after every change; the stream ends after
    /// the job finishes. Comments (`: keep-alive`) keep idle connections open through proxies.
    private func stream(_ context: AppRequestContext) async throws -> Response {
        let first = try await record(context)
        let updates = events.events(for: first.id)  // subscribe before reading again: nothing missed
        let queue = self.queue
        let encoder = APIJSON.encoder()
        @Sendable func frame(_ record: JobRecord) throws -> ByteBuffer {
            let json = try encoder.encode(JobDocument(record))
            return ByteBuffer(string: "event: job\ndata: \(String(decoding: json, as: UTF8.self))\n\n")
        }
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var current = try await queue.record(first.id) ?? first
            try await writer.write(try frame(current))
            if !current.status.isFinished {
                for await event in updates {
                    if event == .heartbeat {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        continue
                    }
                    guard let latest = try await queue.record(first.id) else { break }
                    current = latest
                    try await writer.write(try frame(current))
                    if current.status.isFinished { break }
                }
            }
            try await writer.finish(nil)
        })
    }
}

/// Any JSON value, to embed a handler's JSON result in a response without knowing its shape.
indirect enum JSONDocument: Codable, Sendable {
    case object([String: JSONDocument]), array([JSONDocument]), string(String), number(Double), bool(Bool), null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONDocument].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONDocument].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .object(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}
