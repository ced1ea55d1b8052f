import Foundation
import NIOPosix

/// Daily closes, oldest first.
public struct DailySeries: Sendable, Equatable, Codable {
    public let symbol: String
    /// ISO dates (`2017-11-10`).
    public let dates: [String]
    public let closes: [Double]

    /// The series as it stood `count` trading days ago (what a training then saw).
    public func droppingLast(_ count: Int) -> DailySeries {
        DailySeries(symbol: symbol, dates: Array(dates.dropLast(count)), closes: Array(closes.dropLast(count)))
    }
}

public enum MarketDataError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownSymbol(String)
    case malformed(symbol: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .unknownSymbol(let symbol): "unknown symbol \(symbol): no market data for it"
        case .malformed(let symbol, let line, let reason): "market data for \(symbol), line \(line): \(reason)"
        }
    }
}

/// The embedded, offline provider: one CSV per symbol (`date,close`) in `MARKET_DATA_DIR`.
public struct FileMarketData: Sendable {
    public let directory: URL

    public init(directory: String) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL
    }

    /// Every symbol with a CSV here (the bundled data by default), sorted.
    /// Read on the thread pool, like the files themselves: a directory listing blocks.
    public func symbols() async throws -> [String] {
        let directory = self.directory
        return try await NIOThreadPool.singleton.runIfActive {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }
                .filter { (try? MarketSymbol.parse($0)) == $0 }.sorted()
        }
    }

    public var name: String { "file" }

    public func daily(_ symbol: String) async throws -> DailySeries {
        let file = directory.appendingPathComponent("\(symbol).csv")
        return try await NIOThreadPool.singleton.runIfActive {
            guard let data = FileManager.default.contents(atPath: file.path) else { throw MarketDataError.unknownSymbol(symbol) }
            return try Self.parse(String(decoding: data, as: UTF8.self), symbol: symbol)
        }
    }

    /// Parses a `date,close` CSV; errors name the line.
    public static func parse(_ text: String, symbol: String) throws(MarketDataError) -> DailySeries {
        var dates: [String] = []
        var closes: [Double] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if index == 0 {
                guard line.lowercased() == "date,close" else {
                    throw .malformed(symbol: symbol, line: 1, reason: "expected the header date,close")
                }
                continue
            }
            if line.isEmpty { continue }
            let fields = line.split(separator: ",")
            // A real calendar date, not just ten characters: forecast dates are counted from it.
            guard fields.count == 2, CivilDate(iso: String(fields[0])) != nil, let close = Double(fields[1]), close.isFinite, close > 0 else {
                throw .malformed(symbol: symbol, line: index + 1, reason: "expected YYYY-MM-DD,positive number, got \"\(line.prefix(60))\"")
            }
            let date = String(fields[0])
            if let last = dates.last, date <= last {
                throw .malformed(symbol: symbol, line: index + 1, reason: "dates must increase (\(date) after \(last))")
            }
            dates.append(date)
            closes.append(close)
        }
        return DailySeries(symbol: symbol, dates: dates, closes: closes)
    }
}
