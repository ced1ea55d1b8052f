#!/usr/bin/env python3
"""Give a freshly started moto S3 server a real identity for StockHub.

services.sh starts moto with INITIAL_NO_AUTH_ACTION_COUNT=3, so moto lets the
first three authorisable requests through unchecked and verifies the SigV4
signature and IAM policy of every request after that. This script spends
exactly those three requests on creating an IAM user, its policy and its
access key; everything afterwards is done with the new key, so the rest of the
run is authenticated like real S3.

On success it prints two lines for the shell script:
    S3_ACCESS_KEY_ID=...
    S3_SECRET_ACCESS_KEY=...
"""

import argparse
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Must match INITIAL_NO_AUTH_ACTION_COUNT in services.sh: the IAM calls below.
NO_AUTH_REQUESTS = 3

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}

# No retries: a retried request would be counted a second time against moto's
# unauthenticated budget and the access key request would then be refused.
CONFIG = Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"})


def client(service, endpoint, region, key_id, secret):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=CONFIG,
    )


def error_code(exc):
    return exc.response.get("Error", {}).get("Code", "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="e.g. http://127.0.0.1:5000")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--bucket", default="stockhub")
    parser.add_argument("--user", default="stockhub")
    args = parser.parse_args()

    def log(msg):
        print(f"s3-bootstrap: {msg}", file=sys.stderr)

    # Credentials are required to sign, but moto ignores them while the
    # unauthenticated budget lasts.
    iam = client("iam", args.endpoint, args.region, "bootstrap", "bootstrap")
    try:
        iam.create_user(UserName=args.user)  # unauthenticated request 1
        iam.put_user_policy(  # unauthenticated request 2
            UserName=args.user,
            PolicyName="stockhub-s3-all",
            PolicyDocument=json.dumps(POLICY),
        )
        key = iam.create_access_key(UserName=args.user)["AccessKey"]  # request 3
    except ClientError as exc:
        log(
            f"IAM setup failed ({error_code(exc)}): {exc}. If this is "
            "InvalidClientTokenId, something else used up moto's "
            f"{NO_AUTH_REQUESTS} unauthenticated requests first."
        )
        return 1
    key_id, secret = key["AccessKeyId"], key["SecretAccessKey"]

    # From here on moto enforces signatures, so these prove the key works.
    s3 = client("s3", args.endpoint, args.region, key_id, secret)
    try:
        s3.create_bucket(Bucket=args.bucket)
        s3.put_object(Bucket=args.bucket, Key="bootstrap-check", Body=b"ok")
        s3.delete_object(Bucket=args.bucket, Key="bootstrap-check")
        s3.list_objects_v2(Bucket=args.bucket, MaxKeys=1)
    except ClientError as exc:
        log(f"request with the new access key failed ({error_code(exc)}): {exc}")
        return 1

    # A wrong secret must be refused, otherwise authentication is not on.
    # Change the first character to one it is guaranteed not to be already.
    wrong_secret = ("A" if secret[0] != "A" else "B") + secret[1:]
    bad = client("s3", args.endpoint, args.region, key_id, wrong_secret)
    try:
        bad.list_objects_v2(Bucket=args.bucket, MaxKeys=1)
    except ClientError as exc:
        if error_code(exc) not in ("SignatureDoesNotMatch", "AccessDenied"):
            log(f"wrong secret was refused with an unexpected error: {exc}")
            return 1
    else:
        log("a request signed with a wrong secret was accepted: auth is off")
        return 1

    print(f"S3_ACCESS_KEY_ID={key_id}")
    print(f"S3_SECRET_ACCESS_KEY={secret}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
