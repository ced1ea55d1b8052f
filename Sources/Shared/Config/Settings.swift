import Foundation

/// `development` (the default) invents what it can; `production` demands every secret.
public enum AppEnvironment: String, Sendable, CaseIterable {
    case development, test, production
}

/// Where artifacts are stored.
public enum StorageLocation: Sendable, Equatable {
    case file(URL)
    case s3(S3Settings)
}

/// Every setting StockHub reads, typed and validated once at start.
/// Names follow the original service's environment variables where they exist.
public struct Settings: Sendable {
    public var environment: AppEnvironment
    public var host: String
    public var port: Int
    public var logLevel: String
    public var redis: RedisEndpoint
    public var redisPoolSize: Int
    /// Prefix of every queue key, so several deployments (or test runs) can share one Redis.
    public var redisNamespace: String
    public var databaseURL: String
    public var databasePoolSize: Int
    /// nil in development when unset: the auth layer then makes a random per-process secret.
    public var jwtSecret: String?
    public var accessTokenExpireMinutes: Int
    public var jwtIssuer: String
    public var bcryptCost: Int
    /// Failed logins allowed per account and per client address within `loginWindowSeconds`.
    public var loginMaxFailures: Int
    public var loginWindowSeconds: Int
    /// Registrations allowed per client address per hour.
    public var registrationsPerHour: Int
    /// Take the client address from the last `X-Forwarded-For` entry (set by the PaaS router).
    public var trustProxy: Bool
    public var modelVersion: String
    public var adminAPIKey: String?
    public var corsOrigins: [String]
    public var maxBodyBytes: Int
    /// Jobs a signed-in user may create per window (predictions on a cache miss, uploads,
    /// precompute calls); `X-Admin-Key` callers are exempt. Empty: no quota.
    public var jobQuota: [RateLimit]
    /// Earlier signing secrets, still accepted for verification (never for signing) until the
    /// tokens they signed expire. Comma-separated; each token names its key by `kid`.
    public var jwtPreviousSecrets: [String]
    /// A connection's first request head must arrive within this many seconds.
    public var requestHeadTimeoutSeconds: Int
    /// A connection with no request in progress and nothing read for this long is closed.
    public var idleTimeoutSeconds: Int
    /// Open connections one web process serves; more are answered 503 and closed.
    public var maxConnections: Int
    public var storage: StorageLocation
    public var alphaVantageAPIKey: String?
    public var finnhubAPIKey: String?
    /// The vendors' API roots (tests and staging point them at a recorded-response server).
    public var finnhubBaseURL: String
    public var alphaVantageBaseURL: String
    /// Outbound budgets shared by every process (free tiers by default).
    public var finnhubRateLimits: [RateLimit]
    public var alphaVantageRateLimits: [RateLimit]
    public var marketDataDirectory: String
    public var alertWebhookURL: String?
    public var workerConcurrency: Int
    /// The most jobs one worker runner fetches, starts and records per round trip.
    public var workerBatchSize: Int
    /// How long a SIGTERM'd worker lets running jobs finish before releasing them (≤ 20 s: the
    /// design's 25 s to exit leaves the rest for the release and the exit).
    public var workerShutdownGraceSeconds: Int
    public var jobMaxAttempts: Int
    public var jobTimeoutSeconds: Int
    public var jobVisibilityTimeoutSeconds: Int
    /// The symbols a training run covers; nil (unset): every symbol in `MARKET_DATA_DIR`.
    public var trainSymbols: [String]?
    public var trainSchedule: CronSchedule
    /// How long each dependency probe (`/api/status`, the start-up report) waits for an answer
    /// before calling the dependency down.
    public var dependencyCheckSeconds: Int
    /// Where Worker and Trainer serve `/metrics` (nil: they serve none; the web process always
    /// serves it on `PORT`).
    public var metricsPort: Int?
    /// When set, `/metrics` answers only `Authorization: Bearer <token>` (the web port is often
    /// public on a PaaS; Prometheus sends the header from its scrape config).
    public var metricsToken: String?

    public var isProduction: Bool { environment == .production }
    /// Every Redis key, under `REDIS_NAMESPACE`.
    public var redisKeys: RedisKeys { RedisKeys(namespace: redisNamespace) }
}

/// One bad setting: the variable and what is wrong with it.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    public let variable: String
    public let problem: String
    public init(_ variable: String, _ problem: String) {
        self.variable = variable
        self.problem = problem
    }
    /// The one line printed at start: `REDIS_URL: expected redis://…, got "localhost"`.
    public var description: String { "\(variable): \(problem)" }
}

extension Settings {
    /// Reads and checks every variable; the first problem found is thrown.
    public init(environment variables: [String: String]) throws(ConfigError) {
        var reader = EnvironmentReader(variables)
        let environment: AppEnvironment = try reader.choice("APP_ENV", default: .development)
        let production = environment == .production
        self.environment = environment
        self.host = try reader.string("HOST", default: production ? "0.0.0.0" : "127.0.0.1")
        // 0 asks the OS for a free port (tests run several servers at once).
        self.port = try reader.integer("PORT", default: 8080, range: 0...65535)
        self.logLevel = try reader.oneOf("LOG_LEVEL", ["trace", "debug", "info", "notice", "warning", "error", "critical"], default: "info")

        let redisURL = try reader.string("REDIS_URL", default: production ? nil : "redis://127.0.0.1:6379/0")
        do { self.redis = try RedisEndpoint(url: redisURL) } catch { throw ConfigError("REDIS_URL", error.message) }
        self.redisPoolSize = try reader.integer("REDIS_POOL_SIZE", default: 16, range: 1...512)
        self.redisNamespace = try reader.matching("REDIS_NAMESPACE", default: "stockhub", pattern: "[A-Za-z0-9_.:-]{1,64}",
                                                  expected: "1-64 of A-Z a-z 0-9 _ . : -")

        self.databaseURL = try reader.string("DATABASE_URL", default: production ? nil : "postgres://stockhub@127.0.0.1:5432/stockhub")
        try Self.checkDatabaseURL(databaseURL)
        self.databasePoolSize = try reader.integer("DATABASE_POOL_SIZE", default: 8, range: 1...256)

        let secret = try reader.optional("JWT_SECRET")
        if let secret, secret.utf8.count < 32, production {
            throw ConfigError("JWT_SECRET", "must be at least 32 bytes in production, got \(secret.utf8.count)")
        }
        if secret == nil, production { throw ConfigError("JWT_SECRET", "required in production (at least 32 random bytes)") }
        self.jwtSecret = secret
        self.jwtPreviousSecrets = try reader.list("JWT_PREVIOUS_SECRETS", default: []) { previous throws(ConfigError) in
            if production, previous.utf8.count < 32 {
                throw ConfigError("JWT_PREVIOUS_SECRETS", "each secret must be at least 32 bytes in production, got one of \(previous.utf8.count)")
            }
        }
        self.accessTokenExpireMinutes = try reader.integer("ACCESS_TOKEN_EXPIRE_MINUTES", default: 1440, range: 1...525_600)
        self.jwtIssuer = try reader.matching("JWT_ISSUER", default: "stockhub", pattern: "[A-Za-z0-9._:/-]{1,64}", expected: "1-64 of A-Z a-z 0-9 . _ : / -")
        self.bcryptCost = try reader.integer("BCRYPT_COST", default: 12, range: 10...16)
        self.loginMaxFailures = try reader.integer("LOGIN_MAX_FAILURES", default: 10, range: 1...1000)
        self.loginWindowSeconds = try reader.integer("LOGIN_WINDOW_SECONDS", default: 900, range: 1...86_400)
        self.registrationsPerHour = try reader.integer("REGISTRATIONS_PER_HOUR", default: 20, range: 1...100_000)
        self.trustProxy = try reader.boolean("TRUST_PROXY", default: false)

        self.modelVersion = try reader.matching("MODEL_VERSION", default: "v1", pattern: "[A-Za-z0-9._-]{1,32}",
                                                 expected: "1-32 of A-Z a-z 0-9 . _ -")
        let adminKey = try reader.optional("ADMIN_API_KEY")
        if let adminKey, adminKey.utf8.count < 16 {
            throw ConfigError("ADMIN_API_KEY", "must be at least 16 characters, got \(adminKey.utf8.count)")
        }
        self.adminAPIKey = adminKey
        self.corsOrigins = try reader.list("CORS_ORIGINS", default: []) { origin throws(ConfigError) in
            guard origin == "*" || Self.isOrigin(origin) else {
                throw ConfigError("CORS_ORIGINS", "expected comma-separated origins like https://app.example.com or *, got \"\(origin)\"")
            }
        }
        self.maxBodyBytes = try reader.integer("MAX_BODY_BYTES", default: 1 << 20, range: 1024...(256 << 20))
        let quota = try reader.string("JOB_QUOTA", default: "60/min")
        self.jobQuota = try quota.lowercased() == "off" ? [] : Self.rateLimits(reader, "JOB_QUOTA", default: quota)
        self.requestHeadTimeoutSeconds = try reader.integer("REQUEST_HEAD_TIMEOUT_SECONDS", default: 10, range: 1...300)
        // Above the 90 s a PaaS router (Heroku's) keeps an idle connection to the app, so the
        // router, not the app, closes first and never sends a request onto a closing socket.
        self.idleTimeoutSeconds = try reader.integer("IDLE_TIMEOUT_SECONDS", default: 120, range: 1...3600)
        self.maxConnections = try reader.integer("MAX_CONNECTIONS", default: 1000, range: 1...100_000)

        self.storage = try Self.storage(&reader)
        self.alphaVantageAPIKey = try reader.optional("ALPHA_VANTAGE_API_KEY")
        self.finnhubAPIKey = try reader.optional("FINNHUB_API_KEY")
        self.finnhubBaseURL = try Self.baseURL(reader, "FINNHUB_BASE_URL", default: "https://finnhub.io/api/v1")
        self.alphaVantageBaseURL = try Self.baseURL(reader, "ALPHA_VANTAGE_BASE_URL", default: "https://www.alphavantage.co")
        self.finnhubRateLimits = try Self.rateLimits(reader, "FINNHUB_RATE_LIMITS", default: "60/min,30/s")
        self.alphaVantageRateLimits = try Self.rateLimits(reader, "ALPHA_VANTAGE_RATE_LIMITS", default: "25/day")
        self.marketDataDirectory = try reader.string("MARKET_DATA_DIR", default: "data/market")
        let webhook = try reader.optional("ALERT_WEBHOOK_URL")
        if let webhook, !Self.isHTTPURL(webhook) {
            throw ConfigError("ALERT_WEBHOOK_URL", "expected an http:// or https:// URL, got \"\(redactedURL(webhook))\"")
        }
        self.alertWebhookURL = webhook

        self.workerConcurrency = try reader.integer("WORKER_CONCURRENCY", default: 4, range: 1...256)
        self.workerBatchSize = try reader.integer("WORKER_BATCH_SIZE", default: 64, range: 1...1024)
        self.workerShutdownGraceSeconds = try reader.integer("WORKER_SHUTDOWN_GRACE_SECONDS", default: 20, range: 0...20)
        self.jobMaxAttempts = try reader.integer("JOB_MAX_ATTEMPTS", default: 5, range: 1...100)
        self.jobTimeoutSeconds = try reader.integer("JOB_TIMEOUT_SECONDS", default: 300, range: 1...86_400)
        self.jobVisibilityTimeoutSeconds = try reader.integer("JOB_VISIBILITY_TIMEOUT_SECONDS", default: 60, range: 5...86_400)
        let trainSymbols = try reader.list("TRAIN_SYMBOLS", default: []) { symbol throws(ConfigError) in
            guard (try? MarketSymbol.parse(symbol)) != nil else {
                throw ConfigError("TRAIN_SYMBOLS", "expected comma-separated symbols of 1-10 characters A-Z 0-9 . -, got \"\(symbol)\"")
            }
        }.map { $0.uppercased() }
        self.trainSymbols = trainSymbols.isEmpty ? nil : trainSymbols
        self.dependencyCheckSeconds = try reader.integer("DEPENDENCY_CHECK_SECONDS", default: 3, range: 1...120)
        if let port = try reader.optional("METRICS_PORT") {
            guard let value = Int(port), (1...65535).contains(value) else {
                throw ConfigError("METRICS_PORT", "expected a port number 1-65535, got \"\(port)\"")
            }
            self.metricsPort = value
        } else {
            self.metricsPort = nil
        }
        let metricsToken = try reader.optional("METRICS_TOKEN")
        if let metricsToken, metricsToken.utf8.count < 16 {
            throw ConfigError("METRICS_TOKEN", "must be at least 16 characters, got \(metricsToken.utf8.count)")
        }
        self.metricsToken = metricsToken
        let schedule = try reader.string("TRAIN_SCHEDULE", default: "0 3 * * 6")
        do { self.trainSchedule = try CronSchedule(schedule) } catch {
            throw ConfigError("TRAIN_SCHEDULE", "expected a 5-field cron expression (minute hour day month weekday, UTC): \(error.description)")
        }
    }

    /// Reads the process environment; on a bad value prints its one line and exits with code 2.
    public static func loadOrExit(_ variables: [String: String] = ProcessInfo.processInfo.environment) -> Settings {
        do {
            return try Settings(environment: variables)
        } catch {
            FileHandle.standardError.write(Data("configuration error: \(error.description)\n".utf8))
            exit(2)
        }
    }

    /// What the process runs with, for its first log line; secrets appear only as "set".
    public var summary: [String: String] {
        var summary: [String: String] = [
            "APP_ENV": environment.rawValue,
            "REDIS_URL": "redis://\(redis)" + (redis.password == nil ? "" : " (password set)"),
            "DATABASE_URL": PostgresClientSettings(url: databaseURL).endpointDescription,
            "STORAGE": storageDescription,
            "MODEL_VERSION": modelVersion,
            "BCRYPT_COST": String(bcryptCost),
            "TRUST_PROXY": String(trustProxy),
            "WORKER_CONCURRENCY": String(workerConcurrency),
            "WORKER_BATCH_SIZE": String(workerBatchSize),
            "WORKER_SHUTDOWN_GRACE_SECONDS": String(workerShutdownGraceSeconds),
            "JOB_MAX_ATTEMPTS": String(jobMaxAttempts),
            "JOB_TIMEOUT_SECONDS": String(jobTimeoutSeconds),
            "JOB_VISIBILITY_TIMEOUT_SECONDS": String(jobVisibilityTimeoutSeconds),
            "MARKET_DATA_DIR": marketDataDirectory,
            "TRAIN_SYMBOLS": trainSymbols?.joined(separator: ",") ?? "every symbol in MARKET_DATA_DIR",
            "TRAIN_SCHEDULE": trainSchedule.expression,
            "DEPENDENCY_CHECK_SECONDS": String(dependencyCheckSeconds),
            "JOB_QUOTA": jobQuota.isEmpty ? "off" : jobQuota.map(\.description).joined(separator: ","),
            "REQUEST_HEAD_TIMEOUT_SECONDS": String(requestHeadTimeoutSeconds),
            "IDLE_TIMEOUT_SECONDS": String(idleTimeoutSeconds),
            "MAX_CONNECTIONS": String(maxConnections),
        ]
        summary["JWT_PREVIOUS_SECRETS"] = "\(jwtPreviousSecrets.count) set"
        summary["JWT_SECRET"] = jwtSecret == nil ? "unset (random per process)" : "set"
        summary["ADMIN_API_KEY"] = adminAPIKey == nil ? "unset" : "set"
        summary["ALPHA_VANTAGE_API_KEY"] = alphaVantageAPIKey == nil ? "unset" : "set"
        summary["FINNHUB_API_KEY"] = finnhubAPIKey == nil ? "unset" : "set"
        summary["FINNHUB_BASE_URL"] = finnhubBaseURL
        summary["ALPHA_VANTAGE_BASE_URL"] = alphaVantageBaseURL
        summary["FINNHUB_RATE_LIMITS"] = finnhubRateLimits.map(\.description).joined(separator: ",")
        summary["ALPHA_VANTAGE_RATE_LIMITS"] = alphaVantageRateLimits.map(\.description).joined(separator: ",")
        summary["ALERT_WEBHOOK_URL"] = alertWebhookURL == nil ? "unset" : "set"
        summary["METRICS_PORT"] = metricsPort.map(String.init) ?? "unset"
        summary["METRICS_TOKEN"] = metricsToken == nil ? "unset" : "set"
        return summary
    }

    public var storageDescription: String {
        switch storage {
        case .file(let url): url.absoluteString
        case .s3(let s3): "s3://\(s3.bucket)\(s3.prefix.isEmpty ? "" : "/" + s3.prefix) (\(s3.addressing.rawValue)-style, region \(s3.region)\(s3.endpoint.map { ", endpoint \($0)" } ?? ""))"
        }
    }

    // MARK: - Pieces

    /// `STORAGE_URL` wins; without it a set `MODELS_BUCKET` (the original service's variable)
    /// selects S3; otherwise files under ./.data/artifacts.
    private static func storage(_ reader: inout EnvironmentReader) throws(ConfigError) -> StorageLocation {
        let storageURL = try reader.optional("STORAGE_URL")
        let bucketVariable = try reader.optional("MODELS_BUCKET")
        var bucket: String
        var prefix = ""
        if let storageURL {
            if storageURL.hasPrefix("file://") {
                let path = String(storageURL.dropFirst("file://".count))
                guard path.hasPrefix("/") || path.hasPrefix(".") else {
                    throw ConfigError("STORAGE_URL", "expected file:///absolute/path or s3://bucket[/prefix], got \"\(storageURL)\"")
                }
                return .file(URL(fileURLWithPath: path).standardizedFileURL)
            }
            guard storageURL.hasPrefix("s3://") else {
                throw ConfigError("STORAGE_URL", "expected file:///absolute/path or s3://bucket[/prefix], got \"\(redactedURL(storageURL))\"")
            }
            let rest = storageURL.dropFirst("s3://".count).split(separator: "/", maxSplits: 1)
            bucket = rest.first.map(String.init) ?? ""
            prefix = rest.count > 1 ? String(rest[1]).trimmingCharacters(in: CharacterSet(charactersIn: "/")) : ""
            try checkBucket(bucket, variable: "STORAGE_URL")
            do { try ArtifactKey.validatePrefix(prefix) } catch {
                throw ConfigError("STORAGE_URL", "the prefix after the bucket may use only A-Z a-z 0-9 . _ ~ - and /, got \"\(prefix)\"")
            }
        } else if let bucketVariable {
            bucket = bucketVariable
            try checkBucket(bucket, variable: "MODELS_BUCKET")
        } else {
            return .file(URL(fileURLWithPath: ".data/artifacts").standardizedFileURL)
        }
        let endpoint = try reader.optional("S3_ENDPOINT")
        if let endpoint, !isHTTPURL(endpoint) {
            throw ConfigError("S3_ENDPOINT", "expected http(s)://host[:port], got \"\(redactedURL(endpoint))\"")
        }
        let region = try reader.matching("S3_REGION", default: "us-east-1", pattern: "[a-z0-9-]{2,32}", expected: "a region name like us-east-1 or auto")
        guard let key = try reader.optional("S3_ACCESS_KEY_ID") else {
            throw ConfigError("S3_ACCESS_KEY_ID", "required when storage is S3 (s3://\(bucket))")
        }
        guard let secret = try reader.optional("S3_SECRET_ACCESS_KEY") else {
            throw ConfigError("S3_SECRET_ACCESS_KEY", "required when storage is S3 (s3://\(bucket))")
        }
        let addressing = try reader.optional("S3_ADDRESSING").map { value throws(ConfigError) -> S3Settings.Addressing in
            guard let style = S3Settings.Addressing(rawValue: value.lowercased()) else {
                throw ConfigError("S3_ADDRESSING", "expected path or virtual, got \"\(value)\"")
            }
            return style
        }
        let dialect = try reader.optional("S3_DIALECT").map { value throws(ConfigError) -> S3Settings.Dialect in
            guard let dialect = S3Settings.Dialect(rawValue: value.lowercased()) else {
                throw ConfigError("S3_DIALECT", "expected aws (AWS, MinIO, R2, B2) or moto (the local test server), got \"\(value)\"")
            }
            return dialect
        } ?? .aws
        return .s3(S3Settings(bucket: bucket, prefix: prefix, region: region, endpoint: endpoint,
                              accessKeyID: key, secretAccessKey: secret, addressing: addressing, dialect: dialect))
    }

    private static func checkBucket(_ bucket: String, variable: String) throws(ConfigError) {
        guard bucket.wholeMatch(of: /[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]/) != nil else {
            throw ConfigError(variable, "expected an S3 bucket name (3-63 of a-z 0-9 . -), got \"\(bucket)\"")
        }
    }

    private static func checkDatabaseURL(_ url: String) throws(ConfigError) {
        guard let components = URLComponents(string: url),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme),
              let host = components.host, !host.isEmpty,
              components.path.count > 1
        else {
            throw ConfigError("DATABASE_URL", "expected postgres://user[:password]@host[:port]/database, got \"\(redactedURL(url))\"")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw ConfigError("DATABASE_URL", "port must be 1-65535, got \(port)")
        }
    }

    private static func baseURL(_ reader: EnvironmentReader, _ name: String, default fallback: String) throws(ConfigError) -> String {
        let url = try reader.string(name, default: fallback)
        guard isHTTPURL(url) else { throw ConfigError(name, "expected an http:// or https:// URL, got \"\(redactedURL(url))\"") }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    private static func rateLimits(_ reader: EnvironmentReader, _ name: String, default fallback: String) throws(ConfigError) -> [RateLimit] {
        let text = try reader.string(name, default: fallback)
        do { return try RateLimit.parseList(text) } catch { throw ConfigError(name, error.description) }
    }

    private static func isHTTPURL(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else { return false }
        return ["http", "https"].contains(scheme) && !(components.host ?? "").isEmpty
    }

    private static func isOrigin(_ text: String) -> Bool {
        guard isHTTPURL(text), let components = URLComponents(string: text) else { return false }
        return components.path.isEmpty && components.query == nil
    }
}

/// Typed reads of environment variables; every failure names the variable.
struct EnvironmentReader {
    private let variables: [String: String]
    init(_ variables: [String: String]) { self.variables = variables }

    /// Unset and empty both mean "not given" (PaaS dashboards often leave empty values).
    func optional(_ name: String) throws(ConfigError) -> String? {
        guard let value = variables[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func string(_ name: String, default fallback: String?) throws(ConfigError) -> String {
        if let value = try optional(name) { return value }
        guard let fallback else { throw ConfigError(name, "required when APP_ENV=production") }
        return fallback
    }

    func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let text = try optional(name) else { return fallback }
        guard let value = Int(text) else { throw ConfigError(name, "expected a whole number \(range.lowerBound)-\(range.upperBound), got \"\(text)\"") }
        guard range.contains(value) else { throw ConfigError(name, "must be \(range.lowerBound)-\(range.upperBound), got \(value)") }
        return value
    }

    func boolean(_ name: String, default fallback: Bool) throws(ConfigError) -> Bool {
        guard let text = try optional(name)?.lowercased() else { return fallback }
        switch text {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigError(name, "expected true or false, got \"\(text)\"")
        }
    }

    func oneOf(_ name: String, _ allowed: [String], default fallback: String) throws(ConfigError) -> String {
        guard let text = try optional(name) else { return fallback }
        guard allowed.contains(text.lowercased()) else {
            throw ConfigError(name, "expected one of \(allowed.joined(separator: "|")), got \"\(text)\"")
        }
        return text.lowercased()
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T) throws(ConfigError) -> T where T.RawValue == String {
        let text = try oneOf(name, T.allCases.map(\.rawValue), default: fallback.rawValue)
        return T(rawValue: text)!
    }

    func matching(_ name: String, default fallback: String, pattern: String, expected: String) throws(ConfigError) -> String {
        let text = try string(name, default: fallback)
        guard let regex = try? Regex(pattern), text.wholeMatch(of: regex) != nil else {
            throw ConfigError(name, "expected \(expected), got \"\(text)\"")
        }
        return text
    }

    func list(_ name: String, default fallback: [String], check: (String) throws(ConfigError) -> Void) throws(ConfigError) -> [String] {
        guard let text = try optional(name) else { return fallback }
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for item in items { try check(item) }
        return items
    }
}
