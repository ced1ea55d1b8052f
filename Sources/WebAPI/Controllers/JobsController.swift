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
        let error: String?
        let createdAt: Date?
        let startedAt: Date?
        let finishedAt: Date?
        /// Spliced in by `json` as the handler wrote it: a forecast document is tens of KB, and
        /// decoding it into a generic tree to encode it again cost more than the rest of the request.
        let result: String?

        enum CodingKeys: String, CodingKey {
            case id, type, status, progress, stage, attempts, error
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
            error = record.error
            createdAt = record.createdAt
            startedAt = record.startedAt
            finishedAt = record.finishedAt
            result = record.result
        }

        /// The document's JSON with `"result"` last. Handlers return JSON objects or arrays
        /// (`JobHandler`); anything else is embedded as a string rather than break the document.
        func json(_ encoder: JSONEncoder) throws -> [UInt8] {
            var bytes = Array(try encoder.encode(self))
            guard let result, bytes.last == UInt8(ascii: "}") else { return bytes }
            let raw = result.utf8.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") }
            let value: [UInt8] = raw.first == UInt8(ascii: "{") || raw.first == UInt8(ascii: "[")
                ? Array(result.utf8) : Array(try encoder.encode(result))
            bytes.removeLast()
            bytes += Array(#","result":"#.utf8) + value + [UInt8(ascii: "}")]
            return bytes
        }
    }

    private func record(_ context: AppRequestContext) async throws -> JobRecord {
        let id = PathParameter.string(context, "id")
        // Job ids are UUIDs; anything else cannot exist and never reaches Redis.
        guard UUID(uuidString: id) != nil else {
            throw APIError.badRequest(field: "id", "A job id is a UUID, got \"\(id.prefix(64))\".")
        }
        guard let record = try await queue.record(id.lowercased(), params: false) else {
            throw APIError.notFound("No job \(id): it never existed or finished more than 24 hours ago.")
        }
        return record
    }

    private func status(_ context: AppRequestContext) async throws -> Response {
        let record = try await record(context)
        // Pollers learn when to ask again; finished jobs need no more polling.
        var headers: HTTPFields = record.status.isFinished ? [:] : [.retryAfter: "1"]
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JobDocument(record).json(APIJSON.encoder()))))
    }

    /// `event: job` carries the whole job document after every change; the stream ends after
    /// the job finishes. Comments (`: keep-alive`) keep idle connections open through proxies.
    private func stream(_ context: AppRequestContext) async throws -> Response {
        let first = try await record(context)
        let updates = events.events(for: first.id)  // subscribe before reading again: nothing missed
        let queue = self.queue
        let encoder = APIJSON.encoder()
        @Sendable func frame(_ record: JobRecord) throws -> ByteBuffer {
            // One `data:` line: a raw newline in JSON can only be whitespace, so it becomes a space.
            let json = try JobDocument(record).json(encoder).map { $0 == UInt8(ascii: "\n") ? UInt8(ascii: " ") : $0 }
            return ByteBuffer(string: "event: job\ndata: \(String(decoding: json, as: UTF8.self))\n\n")
        }
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var current = try await queue.record(first.id, params: false) ?? first
            try await writer.write(try frame(current))
            if !current.status.isFinished {
                for await event in updates {
                    if event == .heartbeat {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        continue
                    }
                    guard let latest = try await queue.record(first.id, params: false) else { break }
                    current = latest
                    try await writer.write(try frame(current))
                    if current.status.isFinished { break }
                }
            }
            try await writer.finish(nil)
        })
    }
}
