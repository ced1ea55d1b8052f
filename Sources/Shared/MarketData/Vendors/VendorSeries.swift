import Foundation

/// Turning vendors' timestamps and rows into the shapes the provider contract promises.
enum VendorSeries {
    /// US sessions are dated in New York: a 1-minute bar at 01:00 UTC belongs to the previous
    /// day's after-hours session.
    static let newYork = TimeZone(identifier: "America/New_York")!

    /// An ISO 8601 instant in UTC (`2024-01-02T15:30:00Z`).
    static func instant(_ date: Date) -> String { date.ISO8601Format() }

    /// The UTC calendar date of a Unix time, ISO. Finnhub stamps a daily candle at 00:00 UTC of
    /// its trading day, so this is the session's date.
    static func utcDate(unixSeconds: Double) -> String {
        CivilDate(dayNumber: Int((unixSeconds / 86_400).rounded(.down))).iso
    }

    /// The New York calendar date of an instant, ISO.
    static func newYorkDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = newYork
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return CivilDate(parts.year ?? 0, parts.month ?? 0, parts.day ?? 0).iso
    }

    /// Daily closes oldest first with strictly increasing dates, keeping only real calendar dates
    /// and positive prices (a vendor's zero is missing data, not a price). A date given twice
    /// keeps the later row. Nil when nothing is left.
    static func daily(symbol: String, _ rows: [(date: String, close: Double)]) -> DailySeries? {
        var byDate: [String: Double] = [:]
        for row in rows where CivilDate(iso: row.date) != nil && row.close.isFinite && row.close > 0 {
            byDate[row.date] = row.close
        }
        guard !byDate.isEmpty else { return nil }
        let dates = byDate.keys.sorted()
        return DailySeries(symbol: symbol, dates: dates, closes: dates.map { byDate[$0]! })
    }

    /// The latest New York session's points, oldest first, positive prices only.
    static func latestSession(_ rows: [(time: Date, price: Double)]) -> [PricePoint] {
        let valid = rows.filter { $0.price.isFinite && $0.price > 0 }.sorted { $0.time < $1.time }
        guard let last = valid.last else { return [] }
        let session = newYorkDate(last.time)
        var points: [PricePoint] = []
        for row in valid where newYorkDate(row.time) == session {
            let time = instant(row.time)
            if points.last?.time == time { points.removeLast() }
            points.append(PricePoint(time: time, price: row.price))
        }
        return points
    }

    /// Newest first; the route shows the top few.
    static func newestFirst(_ articles: [NewsArticle]) -> [NewsArticle] {
        articles.sorted { $0.publishedAt > $1.publishedAt }
    }

    /// Empty strings and Alpha Vantage's "None" / "-" are unknown.
    static func known(_ text: String?) -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines),
              !trimmed.isEmpty, trimmed != "None", trimmed != "-" else { return nil }
        return trimmed
    }
}
