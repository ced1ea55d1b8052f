import Foundation
import HTTPTypes
import Hummingbird
import Shared

/// JSON responses in the API's one style (`APIJSON`): snake_case keys written out by the types.
enum JSONBody {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let encoder = APIJSON.encoder()
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
