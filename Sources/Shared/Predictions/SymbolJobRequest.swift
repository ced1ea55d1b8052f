import Foundation

/// A job about one symbol (`predict`, `train`): its type, its parameters on the queue
/// (`{"symbol":"MSFT"}`) and its dedup key, written once for whoever enqueues and runs it.
/// The symbol is checked and upper-cased on construction, and again when read back from the
/// queue (the queue is not trusted).
public protocol SymbolJobRequest: Sendable, Equatable {
    static var jobType: String { get }
    var symbol: String { get }
    /// `symbol` has passed `MarketSymbol.parse`.
    init(parsedSymbol symbol: String)
}

extension SymbolJobRequest {
    public init(symbol: String) throws(SymbolError) {
        self.init(parsedSymbol: try MarketSymbol.parse(symbol))
    }

    /// Reads a job's parameters back.
    public init(params: String) throws {
        try self.init(symbol: JSONDecoder().decode(SymbolJobParams.self, from: Data(params.utf8)).symbol)
    }

    /// A parsed symbol holds only A-Z 0-9 . -, so nothing needs escaping.
    public var params: String { #"{"symbol":"\#(symbol)"}"# }

    /// Equal requests in flight share one job: same type, model version and symbol.
    public func dedupKey(modelVersion: String) -> String { "\(Self.jobType):\(modelVersion):\(symbol)" }

    /// What `JobQueue.enqueue` takes for this request.
    public func job(modelVersion: String) -> JobQueue.NewJob {
        JobQueue.NewJob(type: Self.jobType, params: params, dedupKey: dedupKey(modelVersion: modelVersion))
    }
}

/// A request for one symbol's forecast document (the `predict` job).
public struct PredictRequest: SymbolJobRequest {
    public static let jobType = "predict"
    public let symbol: String
    public init(parsedSymbol symbol: String) { self.symbol = symbol }
}

/// A request to train one symbol (the `train` job): fit every model, backtest it, store the
/// artifacts and the manifest, and warm the prediction cache.
public struct TrainRequest: SymbolJobRequest {
    public static let jobType = "train"
    public let symbol: String
    public init(parsedSymbol symbol: String) { self.symbol = symbol }
}

private struct SymbolJobParams: Decodable { let symbol: String }
