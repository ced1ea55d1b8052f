import Foundation

/// The clients every process builds from `Settings`. Nothing connects here: pools open
/// connections on first use, so a process starts even while a dependency is down.
public struct SystemClients: Sendable {
    public let redis: RedisClient
    public let postgres: PostgresClient
    public let http: HTTPClient
    public let storage: any ArtifactStore

    public init(redis: RedisClient, postgres: PostgresClient, http: HTTPClient, storage: any ArtifactStore) {
        self.redis = redis
        self.postgres = postgres
        self.http = http
        self.storage = storage
    }

    public init(settings: Settings, applicationName: String) {
        let redis = RedisClient(settings: RedisClientSettings(endpoint: settings.redis, poolSize: settings.redisPoolSize))
        let postgres = PostgresClient(settings: PostgresClientSettings(
            url: settings.databaseURL, poolSize: settings.databasePoolSize, applicationName: applicationName))
        let http = HTTPClient()
        let storage: any ArtifactStore = switch settings.storage {
        case .file(let root): FileStore(root: root)
        case .s3(let s3): S3Store(settings: s3, http: http)
        }
        self.init(redis: redis, postgres: postgres, http: http, storage: storage)
    }

    public func shutdown() async {
        await redis.shutdown()
        await postgres.shutdown()
        await http.shutdown()
    }
}
