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
        /// Rolling-origin backtest metrics. nil until the evaluation machinery (issue 5)
        /// computes them: no number is shown that was not measured.
        public let accuracy: [String: Double]?
        public let trainedAt: Date
        public let observations: Int

        enum CodingKeys: String, CodingKey {
            case name, spec, forecasts, accuracy, observations
            case trainedAt = "trained_at"
        }
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

    enum CodingKeys: String, CodingKey {
        case symbol, history, models
        case asOf = "as_of"
        case lastClose = "last_close"
        case modelVersion = "model_version"
        case generatedAt = "generated_at"
    }

    public static let horizons = [1, 2, 5]
    /// Baselines are fitted on the most recent three years of trading days.
    public static let fitWindow = 750

    /// The forecast document for a series from every model available now (the baselines).
    public static func make(series: DailySeries, modelVersion: String, now: Date = Date()) -> ForecastDocument? {
        guard let lastDate = series.dates.last, let lastClose = series.closes.last else { return nil }
        let window = Array(series.closes.suffix(fitWindow))
        let dates = TradingCalendar.days(after: lastDate, count: horizons.max()!)
        var models: [ModelForecast] = []
        for model in BaselineModel.allCases {
            guard let forecasts = model.forecast(window, horizons: horizons) else { continue }
            let points = zip(horizons, forecasts).map { horizon, f in
                Point(horizon: horizon, date: dates[horizon - 1], value: f.mean, lo80: f.lo80, hi80: f.hi80, lo95: f.lo95, hi95: f.hi95)
            }
            models.append(ModelForecast(name: model.rawValue, spec: model.spec, forecasts: points, accuracy: nil,
                                        trainedAt: now, observations: window.count))
        }
        guard !models.isEmpty else { return nil }
        let history = zip(series.dates.suffix(60), series.closes.suffix(60)).map { HistoryPoint(date: $0, close: $1) }
        return ForecastDocument(symbol: series.symbol, asOf: lastDate, lastClose: lastClose, modelVersion: modelVersion,
                                generatedAt: now, history: history, models: models)
    }

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
