import Forecasting
import Foundation

/// What `GET /api/predictions/{symbol}` returns and the predict job writes to the cache.
public struct ForecastDocument: Sendable, Codable, Equatable {
    public struct Point: Sendable, Codable, Equatable {
        public let horizon: Int
        public let date: String
        public let value: Double
        public let lo80: Double
        public let hi80: Double
        public let lo95: Double
        public let hi95: Double

        enum CodingKeys: String, CodingKey {
            case horizon, date, value
            case lo80 = "lo_80", hi80 = "hi_80", lo95 = "lo_95", hi95 = "hi_95"
        }
    }

    public struct ModelForecast: Sendable, Codable, Equatable {
        public let name: String
        public let spec: String
        public let forecasts: [Point]
        /// Rolling-origin backtest on this symbol's own history; nil when the model produced no
        /// forecast at any origin. Never a placeholder.
        public let accuracy: Accuracy?
        public let trainedAt: Date
        public let observations: Int
        /// `stored`: loaded from the symbol's trained artifacts; `fit`: fitted for this document.
        public let source: TrainedModels.Source
        /// Observations after the fit that a stored model took without refitting (its state run
        /// forward, its parameters kept); absent when it saw no newer data.
        public let newerObservations: Int?

        enum CodingKeys: String, CodingKey {
            case name, spec, forecasts, accuracy, observations, source
            case trainedAt = "trained_at"
            case newerObservations = "newer_observations"
        }
    }

    /// How a model did in the backtest, at the document's horizons.
    public struct Accuracy: Sendable, Codable, Equatable {
        /// Origins scored, their spacing in trading days, and the training window at each.
        public let origins: Int
        public let step: Int
        public let window: Int?
        public let failedOrigins: Int
        public let horizons: [HorizonAccuracy]

        enum CodingKeys: String, CodingKey {
            case origins, step, window, horizons
            case failedOrigins = "failed_origins"
        }
    }

    /// A catalog model that gave no forecast for this series, and its reason.
    public struct UnavailableModel: Sendable, Codable, Equatable {
        public let name: String
        public let reason: String
    }

    public struct HistoryPoint: Sendable, Codable, Equatable {
        public let date: String
        public let close: Double
    }

    public let symbol: String
    public let asOf: String
    public let lastClose: Double
    public let modelVersion: String
    public let generatedAt: Date
    public let history: [HistoryPoint]
    public let models: [ModelForecast]
    /// Why stored models were not used (unusable artifacts, storage down, data too far ahead); absent
    /// when they were or when none existed.
    public var notes: [String]?
    /// Models that could not take this series (too short for their windows, constant prices…)
    /// with their reasons; absent when every model answered.
    public var unavailable: [UnavailableModel]?
    /// Where the series came from when it is not a symbol's market data; absent for symbols.
    public var source: SeriesSource?

    /// `upload`: a user's own series (`POST /api/forecasts`); `symbol` holds its label.
    public enum SeriesSource: String, Sendable, Codable, Equatable {
        case upload
    }

    enum CodingKeys: String, CodingKey {
        case symbol, history, models, notes, unavailable, source
        case asOf = "as_of"
        case lastClose = "last_close"
        case modelVersion = "model_version"
        case generatedAt = "generated_at"
    }

    public static let horizons = [1, 2, 5]
    /// Models are fitted on the most recent three years of trading days.
    public static let fitWindow = 750
    /// Accuracy comes from 5-step forecasts at 20 origins a week apart (the last 100 trading
    /// days), each fitted on the 750 days before its origin.
    public static let backtestPlan = BacktestPlan(horizon: 5, origins: 20, step: 5, window: fitWindow, minimumTraining: 60)
    /// The fewest closes whose document has real accuracy figures: the backtest's minimum
    /// training plus one horizon to score (shorter series fit, but no origin scores them).
    public static var minimumCloses: Int { backtestPlan.minimumTraining + backtestPlan.horizon }

    /// Why a series gets no forecast document; permanent for that series.
    public enum Unavailable: Error, Equatable, CustomStringConvertible {
        /// The last date is not a YYYY-MM-DD calendar date (providers are meant to refuse those).
        case lastDateMalformed(symbol: String, date: String)
        /// Too short for any model to be fitted.
        case tooShort(symbol: String, closes: Int)

        public var description: String {
            switch self {
            case let .lastDateMalformed(symbol, date): "the history of \(symbol) ends on \"\(date)\", not a YYYY-MM-DD date"
            case let .tooShort(symbol, closes): "not enough history for \(symbol) (\(closes) closes)"
            }
        }
    }

    /// The forecast document for a series, fitting every catalog model now (no stored models).
    public static func make(series: DailySeries, modelVersion: String, plan: BacktestPlan = backtestPlan,
                            catalog: ModelCatalog = ModelCatalog(), now: Date = Date()) throws(Unavailable) -> ForecastDocument {
        try make(series: series, modelVersion: modelVersion, trained: TrainedModels.fit(series: series, plan: plan, catalog: catalog, now: now), now: now)
    }

    /// The forecast document from trained models (fitted now or loaded from storage): every
    /// model's forecasts from the series' last date, plus the ensemble weighted by the members'
    /// backtest MASE. Cheap: no fitting.
    public static func make(series: DailySeries, modelVersion: String, trained: TrainedModels, now: Date = Date()) throws(Unavailable) -> ForecastDocument {
        guard let lastDate = series.dates.last, let lastClose = series.closes.last else {
            throw .tooShort(symbol: series.symbol, closes: series.closes.count)
        }
        let dates = TradingCalendar.days(after: lastDate, count: horizons.max()!)
        guard dates.count == horizons.max()! else { throw .lastDateMalformed(symbol: series.symbol, date: lastDate) }

        func entry(_ member: TrainedModels.Member) -> ModelForecast {
            let forecast = member.model.forecast(horizon: horizons.max()!, levels: Backtest.levels)
            let points = horizons.map { h in
                Point(horizon: h, date: dates[h - 1], value: forecast.mean[h - 1],
                      lo80: forecast.intervals[0].lower[h - 1], hi80: forecast.intervals[0].upper[h - 1],
                      lo95: forecast.intervals[1].lower[h - 1], hi95: forecast.intervals[1].upper[h - 1])
            }
            return ModelForecast(name: member.name, spec: member.model.spec, forecasts: points, accuracy: member.accuracy,
                                 trainedAt: member.trainedAt, observations: trained.observations, source: member.source,
                                 newerObservations: trained.newerObservations > 0 ? trained.newerObservations : nil)
        }
        var models = trained.members.map(entry)
        if let ensemble = trained.ensemble() { models.append(entry(ensemble)) }
        let history = zip(series.dates.suffix(60), series.closes.suffix(60)).map { HistoryPoint(date: $0, close: $1) }
        return ForecastDocument(symbol: series.symbol, asOf: lastDate, lastClose: lastClose, modelVersion: modelVersion,
                                generatedAt: now, history: history, models: models, notes: nil,
                                unavailable: trained.unavailable.isEmpty ? nil : trained.unavailable, source: nil)
    }

    public static func encoder() -> JSONEncoder { APIJSON.encoder() }
}
