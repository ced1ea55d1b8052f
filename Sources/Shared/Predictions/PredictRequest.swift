import Foundation

/// A request for one symbol's forecast document: the `predict` job's type, parameters and
/// dedup key, written once for the API that enqueues it, the worker that runs it and the
/// benchmark that measures it.
public struct PredictRequest: Sendable, Equatable {
    public static let jobType = "predict"

    /// Already checked and upper-cased (`MarketSymbol.parse`): a request cannot hold anything else.
    public let symbol: String

    public init(symbol: String) throws(SymbolError) {
        self.symbol = try MarketSymbol.parse(symbol)
    }

    /// The job's parameters as they travel on the queue: `{"symbol":"MSFT"}` (a parsed symbol
    /// holds only A-Z 0-9 . -, so nothing needs escaping).
    public var params: String { #"{"symbol":"\#(symbol)"}"# }

    /// Reads a job's parameters back; the symbol is checked again (the queue is not trusted).
    public init(params: String) throws {
        let raw = try JSONDecoder().decode(Raw.self, from: Data(params.utf8))
        try self.init(symbol: raw.symbol)
    }

    /// Equal requests in flight share one job: same symbol, same model version.
    public func dedupKey(modelVersion: String) -> String { "predict:\(modelVersion):\(symbol)" }

    /// What `JobQueue.enqueue` takes for this request.
    public func job(modelVersion: String) -> JobQueue.NewJob {
        JobQueue.NewJob(type: Self.jobType, params: params, dedupKey: dedupKey(modelVersion: modelVersion))
    }

    private struct Raw: Decodable { let symbol: String }
}
