#!/usr/bin/env python3
"""The Bedrock entries of LiteLLM's price list, for pricing/litellm/.

    python3 pricing/litellm/filter.py model_prices_and_context_window_backup.json > bedrock-VERSION.json

Keeps every entry whose litellm_provider is bedrock, bedrock_converse or
bedrock_mantle, in the file's order, each exactly as LiteLLM wrote it (Python's
json reads and writes every number back to the same double), indented by 4.
"""
import json
import sys

PROVIDERS = ("bedrock", "bedrock_converse", "bedrock_mantle")

with open(sys.argv[1], encoding="utf-8") as f:
    prices = json.load(f)
bedrock = {
    k: v
    for k, v in prices.items()
    if isinstance(v, dict) and v.get("litellm_provider") in PROVIDERS
}
json.dump(bedrock, sys.stdout, indent=4)
print()
