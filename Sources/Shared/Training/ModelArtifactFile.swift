import Forecasting
import Foundation

/// One fitted model of one symbol as stored at `models/{model}/{MODEL_VERSION}/{SYMBOL}.bin`:
///
///     STOCKHUB-MODEL\n
///     {header JSON, one line}\n
///     {payload: the fitted state's own JSON, as its type encodes it}
///
/// Format 2 keeps the state's type and state version in the header and the state as it is;
/// format 1 wrapped it in a `ModelArtifact` JSON as base64, which made a tree ensemble's
/// (already base64) boosters 1.8× their size to store and to parse.
/// The header says what the payload is (format version, model and spec, symbol, the data it was
/// fitted on, when, how it did in the backtest) and carries the payload's length and SHA-256, so
/// a reader can refuse a truncated, corrupted, foreign or other-version file with a typed error
/// before decoding anything.
public struct ModelArtifactFile: Sendable {
    public static let magic = Array("STOCKHUB-MODEL\n".utf8)
    public static let formatVersion = 2

    public struct Header: Codable, Sendable, Equatable {
        public let format: Int
        public let model: String
        public let spec: String
        public let symbol: String
        public let modelVersion: String
        public let firstDate: String
        public let lastDate: String
        public let observations: Int
        public let trainedAt: Date
        public let accuracy: ForecastDocument.Accuracy?
        public let meanMASE: Double?
        /// The fitted type and its state version (`ModelArtifact`): how to decode the payload.
        public let stateType: String
        public let stateVersion: Int
        public let payloadBytes: Int
        public let payloadSHA256: String

        enum CodingKeys: String, CodingKey {
            case format, model, spec, symbol, observations, accuracy
            case modelVersion = "model_version"
            case firstDate = "first_date"
            case lastDate = "last_date"
            case trainedAt = "trained_at"
            case meanMASE = "mean_mase"
            case stateType = "state_type"
            case stateVersion = "state_version"
            case payloadBytes = "payload_bytes"
            case payloadSHA256 = "payload_sha256"
        }
    }

    public let header: Header
    public let model: any FittedModel

    /// The file for a trained member.
    public static func encode(_ member: TrainedModels.Member, symbol: String, modelVersion: String,
                              firstDate: String, lastDate: String, observations: Int) throws -> [UInt8] {
        let artifact = try ModelArtifact(member.model)
        let payload = Array(artifact.state)
        let header = Header(format: formatVersion, model: member.name, spec: member.model.spec, symbol: symbol, modelVersion: modelVersion,
                            firstDate: firstDate, lastDate: lastDate, observations: observations, trainedAt: member.trainedAt,
                            accuracy: member.accuracy, meanMASE: member.meanMASE, stateType: artifact.type,
                            stateVersion: artifact.stateVersion, payloadBytes: payload.count,
                            payloadSHA256: SHA256Hex.of(payload))
        return magic + Array(try APIJSON.encoder().encode(header)) + [UInt8(ascii: "\n")] + payload
    }

    /// Reads and checks a file: every failure is an `ArtifactError` naming `key`, never a crash.
    public static func decode(_ bytes: [UInt8], key: String) throws(ArtifactError) -> ModelArtifactFile {
        guard bytes.starts(with: magic) else { throw .foreign(key: key) }
        let rest = bytes.dropFirst(magic.count)
        guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else { throw .truncated(key: key, detail: "the header never ends") }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let header: Header
        do {
            // The format number first: a later format may change every other field.
            struct Format: Decodable { let format: Int }
            let format = try decoder.decode(Format.self, from: Data(rest[rest.startIndex..<newline])).format
            guard format == formatVersion else { throw ArtifactError.unsupportedFormat(key: key, found: format, expected: formatVersion) }
            header = try decoder.decode(Header.self, from: Data(rest[rest.startIndex..<newline]))
        } catch let error as ArtifactError {
            throw error
        } catch {
            throw .unreadableHeader(key: key, reason: "\(error)")
        }
        let payload = Array(rest[(newline + 1)...])
        guard payload.count == header.payloadBytes else {
            throw .truncated(key: key, detail: "payload of \(payload.count) bytes, header says \(header.payloadBytes)")
        }
        guard SHA256Hex.of(payload) == header.payloadSHA256 else { throw .checksumMismatch(key: key) }
        do {
            let model = try ModelArtifact(type: header.stateType, stateVersion: header.stateVersion, state: Data(payload)).decode()
            return ModelArtifactFile(header: header, model: model)
        } catch {
            throw .undecodable(key: key, reason: "\(error)")
        }
    }
}

/// Why a stored model cannot be used. The predict job then fits instead, and logs this.
public enum ArtifactError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a StockHub model file at all.
    case foreign(key: String)
    case unsupportedFormat(key: String, found: Int, expected: Int)
    case truncated(key: String, detail: String)
    case checksumMismatch(key: String)
    case unreadableHeader(key: String, reason: String)
    /// The file is sound but not the one the manifest promised (symbol, model, version or data).
    case mismatch(key: String, field: String, expected: String, found: String)
    /// The payload's state cannot be decoded (an unknown type or state version).
    case undecodable(key: String, reason: String)
    case unreadableManifest(key: String, reason: String)

    public var description: String {
        switch self {
        case .foreign(let key): "\(key) is not a StockHub model file"
        case let .unsupportedFormat(key, found, expected): "\(key) has artifact format \(found); this build reads \(expected)"
        case let .truncated(key, detail): "\(key) is truncated: \(detail)"
        case .checksumMismatch(let key): "\(key) fails its SHA-256 check"
        case let .unreadableHeader(key, reason): "\(key) has an unreadable header: \(reason)"
        case let .mismatch(key, field, expected, found): "\(key) holds \(field) \(found), the manifest expects \(expected)"
        case let .undecodable(key, reason): "\(key) holds a state this build cannot decode: \(reason)"
        case let .unreadableManifest(key, reason): "\(key) is not a readable manifest: \(reason)"
        }
    }
}
