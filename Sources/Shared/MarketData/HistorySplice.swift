/// Joins a vendor's recent closes onto the bundled files' older ones, so the models see the
/// files' years and the vendor's latest days as one series.
///
/// The two need not be on one scale: the files hold split- and dividend-adjusted closes, a
/// vendor's free daily series raw ones. So they are joined only where both have a close for the
/// same day (the seam): the files' closes up to it are rescaled by the vendor's close over the
/// files' close that day, and the vendor's closes follow. With no common day there is nothing
/// to measure the scale by, and a guessed seam would put a jump in the history that every model
/// would fit, so the answer is then "no splice".
public enum HistorySplice {
    /// Common days checked against the seam's ratio: a disagreement means the two series are
    /// not the same instrument's closes (or one of them is wrong), and they are not joined.
    static let checkedDays = 5
    /// How far the ratio on a checked day may stray from the seam's.
    static let tolerance = 0.02

    /// Why two series were not joined.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case noCommonDay(filesEnd: String, vendorStart: String)
        case disagree(day: String, seamDay: String)

        public var description: String {
            switch self {
            case .noCommonDay(let filesEnd, let vendorStart):
                "the bundled closes end on \(filesEnd) and the vendor's begin on \(vendorStart): no common day to join them at"
            case .disagree(let day, let seamDay):
                "the bundled and vendor closes disagree on \(day) by more than the scale measured on \(seamDay)"
            }
        }
    }

    /// `files`' closes before the seam (rescaled) followed by all of `vendor`'s from the seam on.
    /// The seam is the latest day both hold. Both series are oldest first.
    public static func join(files: DailySeries, vendor: DailySeries) throws(Refusal) -> DailySeries {
        guard let filesEnd = files.dates.last, let vendorStart = vendor.dates.first else {
            return vendor.dates.isEmpty ? files : vendor
        }
        var fileIndex: [String: Int] = [:]
        for (index, date) in files.dates.enumerated() where date >= vendorStart { fileIndex[date] = index }
        // (vendor index, files index) of every day both hold, oldest first.
        let common = vendor.dates.indices.compactMap { day in fileIndex[vendor.dates[day]].map { (day, $0) } }
        guard let (seam, filesSeam) = common.last, files.closes[filesSeam] > 0 else {
            throw .noCommonDay(filesEnd: filesEnd, vendorStart: vendorStart)
        }
        let scale = vendor.closes[seam] / files.closes[filesSeam]
        for (vendorDay, filesDay) in common.suffix(checkedDays) {
            guard abs(files.closes[filesDay] * scale / vendor.closes[vendorDay] - 1) <= tolerance else {
                throw .disagree(day: vendor.dates[vendorDay], seamDay: vendor.dates[seam])
            }
        }
        return DailySeries(symbol: vendor.symbol,
                           dates: Array(files.dates[..<filesSeam]) + Array(vendor.dates[seam...]),
                           closes: files.closes[..<filesSeam].map { $0 * scale } + Array(vendor.closes[seam...]))
    }
}
