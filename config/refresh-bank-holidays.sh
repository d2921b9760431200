#!/usr/bin/env bash
# Refreshes config/bank-holidays-england-and-wales.json from GOV.UK's list
# (https://www.gov.uk/bank-holidays.json, Open Government Licence), keeping
# the England and Wales division in GOV.UK's own format. Run it on a machine
# with internet access once a year, or when a new bank holiday is announced,
# then run `cargo test calendar` and commit the file. Quorate never fetches
# it at run time.
#
# GOV.UK's list covers a few years back and one or two ahead; the shipped
# file also holds earlier and later years worked out from the rules (first
# and last Mondays, Easter, substitute days): the refresh replaces the years
# GOV.UK gives and keeps the others.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
file="$here/bank-holidays-england-and-wales.json"
fetched="$(mktemp)"
trap 'rm -f "$fetched"' EXIT
curl --fail --silent --show-error --location https://www.gov.uk/bank-holidays.json -o "$fetched"
python3 - "$fetched" "$file" <<'PY'
import json, sys
fetched, file = sys.argv[1], sys.argv[2]
new = json.load(open(fetched, encoding="utf-8"))["england-and-wales"]
old = json.load(open(file, encoding="utf-8"))
years = {e["date"][:4] for e in new["events"]}
kept = [e for e in old["events"] if e["date"][:4] not in years]
events = sorted(kept + new["events"], key=lambda e: e["date"])
json.dump({"division": "england-and-wales", "events": events}, open(file, "w", encoding="utf-8"), ensure_ascii=False, indent=1)
print(f"{len(new['events'])} events from GOV.UK ({min(years)}–{max(years)}), {len(kept)} kept from the rules")
PY
