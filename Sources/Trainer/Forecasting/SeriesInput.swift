import ArgumentParser
import Foundation
import Shared

/// One series to forecast or evaluate, from a CSV file or a JSONL line.
struct SeriesItem: Sendable {
    let id: String
    /// 1-based line of the input it came from (CSV: 1).
    let line: Int
    let values: [Double]
    let horizon: Int?
    let seasonLength: Int?
    /// A gap in a dated series (CSV), in words; JSONL values carry no dates.
    var irregularity: String? = nil
}

/// An input line that could not be read; the rest of the input continues.
struct InputFailure: Error, Sendable {
    let id: String
    let line: Int
    let reason: String
}

/// Reads FILE (or `-` for stdin): a `date,close` CSV is one series named after the file; any
/// other content is JSONL, one `{"id", "y", "horizon"?, "season_length"?}` per line.
struct SeriesInput {
    let path: String

    /// The longest horizon a command or a line may ask for: ~4 years of trading days. Longer
    /// ones say nothing about prices, and their cost grows with h (simulated intervals).
    static let maxHorizon = 1000

    private struct Line: Decodable {
        let id: String?
        let y: [Double]
        let horizon: Int?
        let seasonLength: Int?
        enum CodingKeys: String, CodingKey { case id, y, horizon, seasonLength = "season_length" }
    }

    /// Calls `body` with batches of up to `batchSize` items, in input order.
    func forEachBatch(batchSize: Int, _ body: ([Result<SeriesItem, InputFailure>]) throws -> Void) throws {
        let handle: FileHandle
        if path == "-" {
            handle = .standardInput
        } else {
            guard let file = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot open \(path)") }
            handle = file
        }
        defer { if path != "-" { try? handle.close() } }
        var lines = LineReader(handle: handle)
        guard let first = lines.next() else { return }
        if first.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("date,close") {
            var text = first + "\n"
            while let line = lines.next() { text += line + "\n" }
            let id = path == "-" ? "stdin" : URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            do {
                let series = try FileMarketData.parse(text, symbol: id)
                try body([.success(SeriesItem(id: id, line: 1, values: series.closes, horizon: nil, seasonLength: nil,
                                              irregularity: series.widestGap(inLast: series.closes.count)?.description))])
            } catch let error as MarketDataError {
                guard case let .malformed(_, line, reason) = error else { throw error }
                try body([.failure(InputFailure(id: id, line: line, reason: reason))])
            }
            return
        }
        var batch: [Result<SeriesItem, InputFailure>] = []
        var number = 0
        var pending: String? = first
        let decoder = JSONDecoder()
        while let text = pending ?? lines.next() {
            pending = nil
            number += 1
            if text.allSatisfy(\.isWhitespace) { continue }
            do {
                let line = try decoder.decode(Line.self, from: Data(text.utf8))
                let id = line.id ?? "line \(number)"
                if let reason = Self.problem(with: line) {
                    batch.append(.failure(InputFailure(id: id, line: number, reason: reason)))
                } else {
                    batch.append(.success(SeriesItem(id: id, line: number, values: line.y,
                                                     horizon: line.horizon, seasonLength: line.seasonLength)))
                }
            } catch {
                batch.append(.failure(InputFailure(id: "line \(number)", line: number, reason: Self.describe(error))))
            }
            if batch.count == batchSize {
                try body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try body(batch) }
    }

    /// What is wrong with a line that decoded, if anything (the options' rules, per line).
    private static func problem(with line: Line) -> String? {
        if let horizon = line.horizon, !(1...maxHorizon).contains(horizon) {
            return "field \"horizon\": \(horizon) is not between 1 and \(maxHorizon)"
        }
        if let seasonLength = line.seasonLength, seasonLength < 1 {
            return "field \"season_length\": \(seasonLength) is not at least 1"
        }
        return nil
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "field \"\(fieldPath(context.codingPath))\": \(context.debugDescription)"
        case DecodingError.dataCorrupted: "not valid JSON"
        default: "\(error)"
        }
    }

    /// `y[2]` rather than Foundation's `y.Index 2`.
    private static func fieldPath(_ path: [any CodingKey]) -> String {
        path.reduce("") { text, key in key.intValue.map { "\(text)[\($0)]" } ?? (text.isEmpty ? key.stringValue : "\(text).\(key.stringValue)") }
    }
}

/// Lines of a file, read in 64 KiB chunks so inputs of any size stream.
struct LineReader {
    let handle: FileHandle
    private var buffer = Data()
    private var finished = false

    init(handle: FileHandle) { self.handle = handle }

    mutating func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                return String(decoding: line, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            }
            if finished {
                guard !buffer.isEmpty else { return nil }
                defer { buffer = Data() }
                return String(decoding: buffer, as: UTF8.self)
            }
            let chunk = handle.readData(ofLength: 1 << 16)
            if chunk.isEmpty { finished = true } else { buffer.append(chunk) }
        }
    }
}
