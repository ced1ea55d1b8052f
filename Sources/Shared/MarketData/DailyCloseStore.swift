import Foundation

/// The daily closes vendors returned, kept in Postgres per (symbol, source): a free key's 100
/// days today and tomorrow's make 101, so a symbol's history grows with use rather than
/// staying at whatever one answer held.
public struct DailyCloseStore: Sendable {
    let db: PostgresClient

    public init(db: PostgresClient) { self.db = db }

    /// Adds (or corrects) `series`' closes under `source`.
    public func save(_ series: DailySeries, source: String) async throws {
        guard !series.dates.isEmpty else { return }
        // Dates are ISO and closes finite numbers: array literals need no quoting.
        let days = "{" + series.dates.joined(separator: ",") + "}"
        let closes = "{" + series.closes.map { "\($0)" }.joined(separator: ",") + "}"
        _ = try await db.query("""
            INSERT INTO daily_closes (symbol, source, day, close)
            SELECT $1, $2, day, close FROM unnest($3::date[], $4::float8[]) AS given(day, close)
            ON CONFLICT (symbol, source, day) DO UPDATE SET close = EXCLUDED.close, fetched_at = now()
            """, [series.symbol, source, days, closes])
    }

    /// Every close kept for `symbol` from `source`, oldest first.
    public func load(symbol: String, source: String) async throws -> DailySeries {
        let rows = try await db.query("""
            SELECT to_char(day, 'YYYY-MM-DD') AS day, close FROM daily_closes WHERE symbol = $1 AND source = $2 ORDER BY day
            """, [symbol, source]).rows
        var dates: [String] = [], closes: [Double] = []
        for row in rows {
            dates.append(try row.decode(String.self, "day"))
            closes.append(try row.decode(Double.self, "close"))
        }
        return DailySeries(symbol: symbol, dates: dates, closes: closes)
    }
}

/// A vendor whose daily answers are kept: each answer is added to the store, and what is
/// returned is everything kept from that vendor for the symbol. Postgres being down costs the
/// history, not the answer.
public struct AccumulatingDailyProvider: MarketDataProvider {
    let base: any MarketDataProvider
    let store: DailyCloseStore

    public init(_ base: any MarketDataProvider, store: DailyCloseStore) {
        self.base = base
        self.store = store
    }

    public var name: String { base.name }

    public func daily(_ symbol: String) async throws -> DailySeries {
        let answer = try await base.daily(symbol)
        do {
            try await store.save(answer, source: name)
            let kept = try await store.load(symbol: symbol, source: name)
            return kept.closes.count >= answer.closes.count ? kept : answer
        } catch {
            return answer
        }
    }

    public func quote(_ symbol: String) async throws -> Quote { try await base.quote(symbol) }
    public func intraday(_ symbol: String) async throws -> [PricePoint] { try await base.intraday(symbol) }
    public func overview(_ symbol: String) async throws -> CompanyOverview { try await base.overview(symbol) }
    public func news(symbol: String?) async throws -> [NewsArticle] { try await base.news(symbol: symbol) }
}
