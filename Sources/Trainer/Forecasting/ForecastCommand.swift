import ArgumentParser
import Forecasting
import Foundation
import Shared

/// `Trainer forecast`: fits one model per series and prints its forecast with 80/95% intervals.
struct ForecastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Forecast every series in FILE with one model.",
        discussion: """
            FILE is a CSV with the header date,close (one series) or JSONL with one series per line:
            {"id": "...", "y": [...], "horizon": H, "season_length": m} (horizon and season_length optional).
            Prints one JSON line per series: id, model, mean, lo80, hi80, lo95, hi95, spec, seconds;
            a series that fails prints {"id", "line", "error"} and the rest continue (exit 1 at the end).
            """)

    @Option(help: "Model: \(ModelCatalog.names.joined(separator: ", ")).") var model: String
    @Option(help: "Steps to forecast (a JSONL line's \"horizon\" overrides it).") var horizon: Int
    @OptionGroup var options: SeriesOptions
    @Argument(help: "Input file, or - for stdin.") var file: String

    func validate() throws {
        guard ModelCatalog.names.contains(model) else {
            throw ValidationError("unknown model \(model); known: \(ModelCatalog.names.joined(separator: ", "))")
        }
        guard horizon >= 1 else { throw ValidationError("--horizon must be at least 1") }
        guard horizon <= SeriesInput.maxHorizon else { throw ValidationError("--horizon must be at most \(SeriesInput.maxHorizon)") }
        try options.validate()
    }

    struct Row: Encodable {
        let id: String
        let model: String
        let mean, lo80, hi80, lo95, hi95: [Double]
        let spec: String
        let seconds: Double
    }

    func run() throws {
        try runOverSeries(file: file, options: options, map: { batch in parallelMap(batch, jobs: options.jobs) { forecast($0) } },
                          write: { $0.forecast($1) })
    }

    private func forecast(_ input: Result<SeriesItem, InputFailure>) -> Result<Row, InputFailure> {
        input.flatMap { item in
            let steps = item.horizon ?? horizon
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                let catalog = ModelCatalog(seasonLength: item.seasonLength ?? options.seasonLength, scale: options.scale, horizon: steps,
                                           irregularity: item.irregularity)
                let fitted = try catalog.model(named: model, for: item.values).fitAny(item.values)
                let forecast = fitted.forecast(horizon: steps, levels: Backtest.levels)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                return .success(Row(id: item.id, model: model, mean: forecast.mean,
                                    lo80: forecast.intervals[0].lower, hi80: forecast.intervals[0].upper,
                                    lo95: forecast.intervals[1].lower, hi95: forecast.intervals[1].upper,
                                    spec: fitted.spec, seconds: seconds))
            } catch {
                return .failure(InputFailure(id: item.id, line: item.line, reason: "\(error)"))
            }
        }
    }
}

/// The loop both commands share: read FILE in batches, compute a row per series, write rows
/// and failures in input order, and exit 1 at the end if any series failed.
func runOverSeries<Row>(file: String, options: SeriesOptions,
                        map: ([Result<SeriesItem, InputFailure>]) -> [Result<Row, InputFailure>],
                        write: (OutputWriter, Row) -> Void) throws {
    let output = OutputWriter(format: options.format)
    var failed = 0, seen = 0
    try SeriesInput(path: file).forEachBatch(batchSize: options.batchSize) { batch in
        seen += batch.count
        for result in map(batch) {
            switch result {
            case .success(let row): write(output, row)
            case .failure(let failure):
                failed += 1
                output.failure(failure)
            }
        }
    }
    output.finish()
    if seen == 0 {
        FileHandle.standardError.write(Data("no series in \(file): expected a date,close CSV or JSON lines\n".utf8))
        throw ExitCode(1)
    }
    if failed > 0 {
        FileHandle.standardError.write(Data("\(failed) series failed\n".utf8))
        throw ExitCode(1)
    }
}

/// Options shared by `forecast` and `backtest`.
struct SeriesOptions: ParsableArguments {
    @Option(help: "Season length m for seasonal models (a JSONL line's \"season_length\" overrides it).") var seasonLength: Int?
    @Option(help: "Scale for arima, ets and prophet: auto (log when all values are positive), log or raw.")
    var scale: ModelCatalog.Scale = .auto
    @Option(help: "Output: jsonl or table.") var format: OutputFormat = .jsonl
    @Option(help: "Series processed at once (default: one per core).") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: .hidden) var batchSize: Int = 256

    func validate() throws {
        if let seasonLength, seasonLength < 1 { throw ValidationError("--season-length must be at least 1") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case jsonl, table
}

extension ModelCatalog.Scale: ExpressibleByArgument {}
