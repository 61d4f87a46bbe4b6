"""Size limits for policies and checked content, in one place.

Each limit matches Amazon Bedrock Guardrails' or is more generous, so a policy written
for Bedrock always fits. The server and the CLI quote these numbers in their errors.
"""

from __future__ import annotations

POLICY_NAME_MAX = 50
POLICY_DESCRIPTION_MAX = 200
BLOCKED_MESSAGE_MAX = 500

DENIED_TOPICS_MAX = 30
TOPIC_NAME_MAX = 100
TOPIC_DEFINITION_MAX = 1000
TOPIC_EXAMPLES_MAX = 5
TOPIC_EXAMPLE_MAX = 300
#: Exceptions of one denied topic (texts that resemble it but are allowed; Steward's own, not Bedrock's).
TOPIC_EXCEPTIONS_MAX = 10
TOPIC_EXCEPTION_MAX = 300

CUSTOM_WORDS_MAX = 10_000
CUSTOM_WORD_MAX = 100

REGEXES_MAX = 10
REGEX_NAME_MAX = 100
REGEX_PATTERN_MAX = 500
REGEX_DESCRIPTION_MAX = 1000
#: Memory re2 may use to compile one custom pattern; a pattern needing more is refused.
REGEX_MAX_MEMORY_BYTES = 8 << 20

#: One piece of text checked in one call (Bedrock's text unit is 1,000 characters).
TEXT_MAX_CHARS = 200_000
#: Characters in one billing/usage text unit, as in Bedrock.
TEXT_UNIT_CHARS = 1000
