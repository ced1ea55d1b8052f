import Foundation

/// A daily series a user brought (`POST /api/forecasts`), checked once by one set of rules: the
/// web process reads it from a CSV or JSON body, and the worker reads it back from the `forecast`
/// job's params through the same checks (the queue is not trusted). Its forecast document is
/// the one a symbol gets, with the label in `symbol` and `source: "upload"`.
public struct UploadedSeries: Sendable, Equatable {
    public static let jobType = "forecast"
    public static let defaultLabel = "UPLOAD"
    public static let maximumLabelLength = 40
    /// Ten thousand rows is 40 years of trading days: more cannot change a fit on the last 750.
    public static let maximumRows = 10_000
    public static var minimumRows: Int { ForecastDocument.minimumCloses }

    public let label: String
    public let dates: [String]
    public let closes: [Double]

    /// What the models take: the label stands where a symbol would.
    public var series: DailySeries { DailySeries(symbol: label, dates: dates, closes: closes) }

    // MARK: Problems

    /// Why an upload was refused: `detail` names the place (`line 7: …`, `points[6].close: …`)
    /// and the problem, in words meant for the person who sent it.
    public struct Problem: Error, Equatable, CustomStringConvertible {
        /// The request field at fault: `body` (CSV), `points`, `points[6].close`, `name`.
        public let field: String
        /// The CSV line, counting the header as line 1 (what an editor shows).
        public let line: Int?
        public let detail: String
        public var description: String { detail }
    }

    /// Where a row came from, for the messages.
    enum Position {
        case line(Int)
        case point(Int)

        func problem(_ column: String, _ message: String) -> Problem {
            switch self {
            case .line(let line): Problem(field: "body", line: line, detail: "line \(line): \(message)")
            case .point(let index): Problem(field: "points[\(index)].\(column)", line: nil, detail: "points[\(index)].\(column): \(message)")
            }
        }
    }

    // MARK: Label

    /// The label for a series: `nil` or blank is the default; otherwise 1–40 ASCII letters,
    /// digits, spaces and `._-` after trimming spaces. Kept to these so it is safe to show and
    /// to put in a dedup key as it is.
    public static func label(_ text: String?) throws(Problem) -> String {
        let trimmed = (text ?? "").trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return defaultLabel }
        let digits: ClosedRange<Unicode.Scalar> = "0"..."9"
        let allowed = trimmed.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || digits.contains($0) || " ._-".unicodeScalars.contains($0)) }
        guard allowed, trimmed.count <= maximumLabelLength else {
            throw Problem(field: "name", line: nil,
                          detail: "name must be 1-\(maximumLabelLength) of letters, digits, spaces and . _ -, got \"\(trimmed.prefix(60))\"")
        }
        return trimmed
    }

    // MARK: CSV

    /// A `date,close` CSV: a header (any case, spaces around names allowed), then one
    /// `YYYY-MM-DD,number` per line. CRLF line ends, a byte-order mark and trailing empty lines
    /// are accepted; an empty line inside the rows is not.
    public static func csv(_ text: String, label: String) throws(Problem) -> UploadedSeries {
        // "\r\n" is one Character in Swift, not a "\n": split on anything that ends a line.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else {
            throw Problem(field: "body", line: nil, detail: "the body is empty: expected the header date,close and a row per day")
        }
        let header = first.hasPrefix("\u{FEFF}") ? String(first.dropFirst()) : first
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard names == ["date", "close"] else {
            throw Problem(field: "body", line: 1, detail: "line 1: expected the header date,close, got \"\(header.prefix(60))\"")
        }
        try checkCount(lines.count - 1, field: "body")
        var builder = Builder()
        for (offset, line) in lines.dropFirst().enumerated() {
            let position = Position.line(offset + 2)
            guard !line.isEmpty else { throw position.problem("", "empty line; expected YYYY-MM-DD,number") }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2 else {
                throw position.problem("", "expected 2 fields (date,close), got \(fields.count) in \"\(line.prefix(60))\"")
            }
            // Decimal text only: Double(String) would also take hex floats and "nan".
            let numeric = !fields[1].isEmpty && fields[1].allSatisfy { "0123456789.eE+-".contains($0) }
            guard numeric, let close = Double(fields[1]) else {
                throw position.problem("close", "\"\(fields[1].prefix(40))\" is not a number (close)")
            }
            try builder.append(date: fields[0], close: close, written: fields[1], at: position)
        }
        return try UploadedSeries(label: label, builder: builder, field: "body")
    }

    // MARK: JSON

    /// The JSON body: `{"name": "optional label", "points": [{"date": "2024-01-02", "close": 123.4}, …]}`.
    public struct JSONBody: Decodable, Sendable {
        public struct Point: Decodable, Sendable {
            public let date: String
            public let close: Double
        }
        public let name: String?
        public let points: [Point]
    }

    /// A decoded JSON body; problems name the point (`points[6].date: …`).
    public static func points(_ points: [JSONBody.Point], label: String) throws(Problem) -> UploadedSeries {
        try checkCount(points.count, field: "points")
        var builder = Builder()
        for (index, point) in points.enumerated() {
            try builder.append(date: point.date, close: point.close, at: .point(index))
        }
        return try UploadedSeries(label: label, builder: builder, field: "points")
    }

    // MARK: Queue

    /// The job's params (JSON). The series travels in them rather than under a key of its own:
    /// at most ~250 KB, held by the job's record (the stream entry holds only the id), and gone
    /// with the record, so there is nothing to expire before a queued job runs.
    public var params: String {
        let encoded = try? JSONEncoder().encode(Params(label: label, dates: dates, closes: closes))
        return encoded.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Reads a job's params back, through the same checks as an upload.
    public init(params: String) throws {
        let decoded = try JSONDecoder().decode(Params.self, from: Data(params.utf8))
        guard decoded.dates.count == decoded.closes.count else {
            throw Problem(field: "params", line: nil, detail: "\(decoded.dates.count) dates but \(decoded.closes.count) closes")
        }
        let label = try Self.label(decoded.label)
        self = try Self.points(zip(decoded.dates, decoded.closes).map { JSONBody.Point(date: $0, close: $1) }, label: label)
    }

    /// Equal uploads in flight share one job: same label, same points, same model version.
    /// The hash is over a canonical text (`Double.description` is the shortest exact form), so
    /// a CSV and a JSON body of the same series are the same job.
    public func dedupKey(modelVersion: String) -> String {
        var canonical = label + "\n"
        canonical.reserveCapacity(dates.count * 24)
        for (date, close) in zip(dates, closes) { canonical += "\(date),\(close.description)\n" }
        return "\(Self.jobType):\(modelVersion):\(SHA256Hex.of(canonical))"
    }

    /// What `JobQueue.enqueue` takes for this series.
    public func job(modelVersion: String) -> JobQueue.NewJob {
        JobQueue.NewJob(type: Self.jobType, params: params, dedupKey: dedupKey(modelVersion: modelVersion))
    }

    // MARK: Checks

    private struct Params: Codable {
        let label: String
        let dates: [String]
        let closes: [Double]
    }

    /// The rows so far, each checked against the one before.
    struct Builder {
        var dates: [String] = []
        var closes: [Double] = []

        /// - Parameter written: the close as the sender wrote it, for the message.
        mutating func append(date: String, close: Double, written: String? = nil, at position: Position) throws(Problem) {
            // Digits only: CivilDate alone would take "2024-+1-05".
            let shaped = date.utf8.count == 10 && date.enumerated().allSatisfy { index, character in
                index == 4 || index == 7 ? character == "-" : character.isASCII && character.isNumber
            }
            guard shaped else { throw position.problem("date", "\"\(date.prefix(40))\" is not a date in the form YYYY-MM-DD") }
            guard CivilDate(iso: date) != nil else { throw position.problem("date", "\(date) is not a valid date") }
            if let previous = dates.last, date <= previous {
                throw position.problem("date", "\(date) is not after the previous date \(previous)")
            }
            guard close.isFinite, close > 0 else {
                throw position.problem("close", "the close must be a finite number above 0, got \(written.map { String($0.prefix(40)) } ?? close.description)")
            }
            dates.append(date)
            closes.append(close)
        }
    }

    private static func checkCount(_ rows: Int, field: String) throws(Problem) {
        guard rows <= maximumRows else {
            throw Problem(field: field, line: nil, detail: "the series has \(rows) rows; at most \(maximumRows) are accepted")
        }
    }

    private init(label: String, builder: Builder, field: String) throws(Problem) {
        guard builder.closes.count >= Self.minimumRows else {
            throw Problem(field: field, line: nil, detail: "the series has \(builder.closes.count) closes; forecasting needs at least \(Self.minimumRows) "
                + "(\(ForecastDocument.backtestPlan.minimumTraining) to fit on and \(ForecastDocument.backtestPlan.horizon) to score the backtest)")
        }
        self.label = label
        self.dates = builder.dates
        self.closes = builder.closes
    }
}
