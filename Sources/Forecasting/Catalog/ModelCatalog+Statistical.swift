import Foundation

extension ModelCatalog {
    /// The fitted types an artifact may hold besides the baselines and the ensemble: each
    /// statistical model on raw values and on log prices, and the learned models.
    static let storableTypes: [any FittedModel.Type] = [
        FittedARIMA.self, FittedOnLogScale<FittedARIMA>.self,
        FittedETS.self, FittedOnLogScale<FittedETS>.self,
        FittedProphetStyle.self, FittedOnLogScale<FittedProphetStyle>.self,
        FittedTreeEnsemble.self, FittedLSTM.self,
    ]

    static let statisticalNames = ["arima", "ets", "prophet"]

    /// arima, ets or prophet on the scale `scale` picks for `y`; nil for other names.
    ///
    /// Prices go in as logs under `auto`: every model then sees multiplicative moves as
    /// additive, and every forecast and interval stays positive (the spec says "on log prices").
    func statisticalModel(named name: String, for y: [Double]) throws -> (any ForecastModel)? {
        let log = try usesLog(y)
        func scaled<M: ForecastModel>(_ model: M) -> any ForecastModel { log ? OnLogScale(model) : model }
        switch name {
        case "arima":
            var arima = AutoARIMA(seasonLength: seasonLength)
            arima.allowsZeroMean = !log
            return scaled(arima)
        case "ets": return scaled(AutoETS(seasonLength: seasonLength ?? 1))
        case "prophet": return scaled(ProphetStyle(seasonalities: prophetSeasonalities))
        default: return nil
        }
    }

    /// Without a season length the series are taken to be daily trading data (a 5-step week,
    /// a 252-step year); a given season length m ≥ 2 is the one cycle, with up to 10 harmonics.
    var prophetSeasonalities: [ProphetStyle.Seasonality] {
        guard let seasonLength else { return ProphetStyle.defaultSeasonalities }
        guard seasonLength >= 2 else { return [] }
        return [ProphetStyle.Seasonality(period: Double(seasonLength), order: max(1, min(10, seasonLength / 2)))]
    }
}
