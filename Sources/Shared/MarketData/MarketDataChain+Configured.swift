extension MarketDataChain {
    /// The chain the settings describe: Finnhub when `FINNHUB_API_KEY` is set, then Alpha
    /// Vantage when `ALPHA_VANTAGE_API_KEY` is, each behind its shared outbound budget and with
    /// its daily closes kept in Postgres, and the bundled files last, so that with no keys
    /// everything works offline.
    public static func configured(_ settings: Settings, redis: RedisClient, http: HTTPClient, postgres: PostgresClient,
                                  metrics: StockHubMetrics? = nil) -> MarketDataChain {
        var providers: [any MarketDataProvider] = []
        let store = DailyCloseStore(db: postgres)
        func vendor(_ provider: any MarketDataProvider, _ limits: [RateLimit]) -> any MarketDataProvider {
            AccumulatingDailyProvider(
                RateLimitedProvider(provider, limiter: OutboundRateLimiter(vendor: provider.name, limits: limits, redis: redis, keys: settings.redisKeys),
                                    metrics: metrics),
                store: store)
        }
        if let key = settings.finnhubAPIKey {
            providers.append(vendor(FinnhubProvider(apiKey: key, baseURL: settings.finnhubBaseURL, http: http), settings.finnhubRateLimits))
        }
        if let key = settings.alphaVantageAPIKey {
            providers.append(vendor(AlphaVantageProvider(apiKey: key, baseURL: settings.alphaVantageBaseURL, http: http), settings.alphaVantageRateLimits))
        }
        providers.append(FileMarketData(directory: settings.marketDataDirectory))
        return MarketDataChain(providers: providers, metrics: metrics)
    }
}
