#!/usr/bin/env bash
# Times steps 1–2 (policy, user, attachment, access key) against moto:
# runbook's single process versus the same calls made by `aws` CLI invocations.
#
#   benches/aws_steps.sh                     # debug build (cheap to compile)
#   BENCH_PROFILE=release benches/aws_steps.sh   # release numbers (slow to build)
#   BENCH_RUNS=20 benches/aws_steps.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=""
if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
    # Stop it afterwards only if this script is the one that starts it.
    [ -f .build/moto.pid ] && kill -0 "$(cat .build/moto.pid)" 2>/dev/null || started=1
    scripts/moto.sh start
    # shellcheck disable=SC1091
    . .build/moto.env
fi
cleanup() { [ -n "$started" ] && scripts/moto.sh stop >/dev/null; true; }
trap cleanup EXIT

profile="${BENCH_PROFILE:-dev}"
runs="${BENCH_RUNS:-10}"
BENCH_RUNS="$runs" cargo bench --quiet --profile "$profile" --bench aws_steps

if ! command -v aws >/dev/null 2>&1 || ! aws --version >/dev/null 2>&1; then
    echo "aws CLI: not installed, skipping the comparison (pip install awscli, or AWS CLI v2)"
    exit 0
fi

user=alation-agent-bench
doc='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}'
# AWS CLI v1 reads AWS_DEFAULT_REGION, not AWS_REGION.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-${AWS_REGION:-us-east-1}}"
cli_steps() {
    aws sts get-caller-identity >/dev/null
    aws iam get-policy --policy-arn arn:aws:iam::123456789012:policy/read_secrets_policy >/dev/null 2>&1 ||
        aws iam create-policy --policy-name read_secrets_policy --policy-document "$doc" >/dev/null
    aws iam get-user --user-name "$user" >/dev/null 2>&1 ||
        aws iam create-user --user-name "$user" >/dev/null
    aws iam list-attached-user-policies --user-name "$user" >/dev/null
    aws iam attach-user-policy --user-name "$user" \
        --policy-arn arn:aws:iam::123456789012:policy/read_secrets_policy >/dev/null
    aws iam list-access-keys --user-name "$user" >/dev/null
    aws iam create-access-key --user-name "$user" >/dev/null
}
cli_runs=$(( runs < 3 ? runs : 3 ))
total=0
for _ in $(seq 1 "$cli_runs"); do
    curl -fsS -X POST -o /dev/null "$AWS_ENDPOINT_URL/moto-api/reset"
    start=$(date +%s%N)
    cli_steps
    end=$(date +%s%N)
    total=$(( total + (end - start) / 1000000 ))
done
echo "aws CLI ($(aws --version 2>&1 | cut -d' ' -f1), $cli_runs runs, 9 invocations each): steps 1-2 on an empty account $(( total / cli_runs ))ms mean"
