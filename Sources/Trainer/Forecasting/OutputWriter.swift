import Foundation
import Shared

/// Writes results as JSON lines (machines) or aligned tables (people). Failures go to stdout as
/// `{"id", "line", "error"}` lines, so outputs stay one line per input, and to stderr.
final class OutputWriter {
    let format: OutputFormat
    private let encoder: JSONEncoder
    private var table: [[String]] = []

    init(format: OutputFormat) {
        self.format = format
        encoder = APIJSON.encoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    }

    private struct FailureRow: Encodable {
        let id: String
        let line: Int
        let error: String
    }

    func failure(_ failure: InputFailure) {
        FileHandle.standardError.write(Data("line \(failure.line) (\(failure.id)): \(failure.reason)\n".utf8))
        if format == .jsonl { writeJSON(FailureRow(id: failure.id, line: failure.line, error: failure.reason)) }
    }

    func forecast(_ row: ForecastCommand.Row) {
        guard format == .table else { return writeJSON(row) }
        if table.isEmpty { table.append(["id", "model", "h", "mean", "lo80", "hi80", "lo95", "hi95", "spec"]) }
        for h in row.mean.indices {
            table.append([row.id, row.model, "\(h + 1)", Self.number(row.mean[h]), Self.number(row.lo80[h]), Self.number(row.hi80[h]),
                          Self.number(row.lo95[h]), Self.number(row.hi95[h]), h == 0 ? row.spec : ""])
        }
    }

    func backtest(_ row: BacktestCommand.Row) {
        guard format == .table else { return writeJSON(row) }
        if table.isEmpty {
            table.append(["id", "model", "h", "origins", "MASE", "sMAPE%", "RMSE", "direction", "cover80", "cover95", "skill"])
        }
        for model in row.models {
            if model.horizons.isEmpty {
                table.append([row.id, model.model, "-", "0", "failed: \(model.error ?? "no forecast")"])
            }
            for accuracy in model.horizons {
                table.append([row.id, model.model, "\(accuracy.horizon)", "\(accuracy.origins)", Self.number(accuracy.mase),
                              Self.number(accuracy.smape), Self.number(accuracy.rmse),
                              accuracy.directionalAccuracy.map(Self.percent) ?? "-", Self.percent(accuracy.coverage80),
                              Self.percent(accuracy.coverage95), accuracy.skillVsNaive.map(Self.number) ?? "-"])
            }
        }
    }

    /// Prints the table, if any.
    func finish() {
        guard !table.isEmpty else { return }
        let columns = table.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in table.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        var text = ""
        for row in table {
            text += row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    private func writeJSON<T: Encodable>(_ value: T) {
        var data = (try? encoder.encode(value)) ?? Data("{\"error\":\"could not encode the result\"}".utf8)
        data.append(UInt8(ascii: "\n"))
        FileHandle.standardOutput.write(data)
    }

    private static func number(_ value: Double) -> String { String(format: "%.4f", value) }
    private static func percent(_ value: Double) -> String { String(format: "%.0f%%", value * 100) }
}
