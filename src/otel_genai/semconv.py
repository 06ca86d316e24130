"""Every attribute, metric and event name otel-genai emits.

Literals, not the ``opentelemetry-semantic-conventions`` constants: the PyPI package froze its GenAI
names at the v1.41 level (and marks them deprecated after the move to ``semantic-conventions-genai``),
while we follow the newer names where they exist (``gen_ai.retrieval.top_k``, ``cache_write``, ...).
A convention change is one edit here.
"""

from __future__ import annotations

# --- common -----------------------------------------------------------------------------------
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
ERROR_TYPE = "error.type"
# the exception event (general conventions: exceptions on spans)
EXCEPTION_EVENT = "exception"
EXCEPTION_TYPE = "exception.type"
EXCEPTION_MESSAGE = "exception.message"
EXCEPTION_STACKTRACE = "exception.stacktrace"
EXCEPTION_ESCAPED = "exception.escaped"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
CODE_FUNCTION_NAME = "code.function.name"  # the decorated function behind a span

# --- request ----------------------------------------------------------------------------------
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K = "gen_ai.request.top_k"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_SEED = "gen_ai.request.seed"
GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count"
GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"
GEN_AI_REQUEST_REASONING_LEVEL = "gen_ai.request.reasoning.level"
GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID = "gen_ai.request.previous_response.id"
GEN_AI_REQUEST_ENCODING_FORMATS = "gen_ai.request.encoding_formats"
GEN_AI_OUTPUT_TYPE = "gen_ai.output.type"

# --- response ---------------------------------------------------------------------------------
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
GEN_AI_EMBEDDINGS_DIMENSION_COUNT = "gen_ai.embeddings.dimension.count"

# --- usage ------------------------------------------------------------------------------------
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = "gen_ai.usage.cache_write.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"

# --- content (opt-in; every one passes through redaction: ``redaction/fields.LAYOUTS`` lists them) ---
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GEN_AI_TOOL_DEFINITIONS = "gen_ai.tool.definitions"
GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result"
GEN_AI_RETRIEVAL_QUERY_TEXT = "gen_ai.retrieval.query.text"
GEN_AI_PROMPT_VARIABLE_PREFIX = "gen_ai.prompt.variable."

# --- redaction audit (beside the Collector redaction processor's ``redaction.*`` summary) --------
REDACTION_PII_COUNT = "redaction.pii.count"  # values replaced on this span, all types
REDACTION_PII_TYPES = "redaction.pii.types"  # the entity types replaced (never the values)
REDACTION_FAILED_COUNT = "redaction.failed.count"  # fields exported as [REDACTION_FAILED]
REDACTION_BINARY_COUNT = "redaction.binary.count"  # binary parts replaced unread
REDACTION_CONTENT_STRIPPED = "redaction.content.stripped"  # why content was removed unanalysed
REDACTION_ENGINE = "redaction.engine"  # what analysed it: "presidio+<model>" or patterns-only
OTEL_GENAI_REDACTION_ENTITIES = "otel_genai.redaction.entities"
OTEL_GENAI_REDACTION_FAILURES = "otel_genai.redaction.failures"
OTEL_GENAI_REDACTION_DEGRADED = "otel_genai.redaction.degraded"
OTEL_GENAI_REDACTION_ENTITY_TYPE = "otel_genai.redaction.entity_type"
OTEL_GENAI_REDACTION_REASON = "otel_genai.redaction.reason"
OTEL_GENAI_REDACTION_MODE = "otel_genai.redaction.mode"


def redaction_pii_type_count(entity_type: str) -> str:
    """``redaction.pii.email_address.count``: how many values of one entity type were replaced."""
    return f"redaction.pii.{entity_type.lower()}.count"


# --- tools ----------------------------------------------------------------------------------------
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
# --- agents and workflows (gen-ai-agent-spans.md) ----------------------------------------------------
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_AGENT_ID = "gen_ai.agent.id"
GEN_AI_AGENT_DESCRIPTION = "gen_ai.agent.description"
GEN_AI_AGENT_VERSION = "gen_ai.agent.version"
GEN_AI_WORKFLOW_NAME = "gen_ai.workflow.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_DESCRIPTION = "gen_ai.tool.description"
GEN_AI_TOOL_TYPE = "gen_ai.tool.type"  # function | extension | datastore
TOOL_TYPE_FUNCTION = "function"
TOOL_TYPE_EXTENSION = "extension"  # a tool run elsewhere on the agent's behalf (an MCP server)
# error.type of a tool that reported failure in its result instead of raising (MCP isError, LangChain's
# handled tool errors)
ERROR_TYPE_TOOL_ERROR = "tool_error"

# --- MCP (semantic-conventions-genai mcp.md) ------------------------------------------------------
MCP_METHOD_NAME = "mcp.method.name"
MCP_PROTOCOL_VERSION = "mcp.protocol.version"
RPC_RESPONSE_STATUS_CODE = "rpc.response.status_code"
NETWORK_TRANSPORT = "network.transport"
# Ours: which MCP server answered (its initialize result's serverInfo); the conventions have no name for it
OTEL_GENAI_MCP_SERVER_NAME = "otel_genai.mcp.server.name"
OTEL_GENAI_MCP_SERVER_VERSION = "otel_genai.mcp.server.version"

# --- retrieval ----------------------------------------------------------------------------------
GEN_AI_DATA_SOURCE_ID = "gen_ai.data_source.id"
GEN_AI_RETRIEVAL_TOP_K = "gen_ai.retrieval.top_k"  # [G], int
# gen_ai.request.top_k (above) carries the same number for backends on the v1.41 conventions
GEN_AI_RETRIEVAL_DOCUMENTS = "gen_ai.retrieval.documents"  # [{"id", "score", "content"?}] in rank order
# Ours: what a score means. Backends disagree (Chroma returns distances, lower is closer; Qdrant's cosine
# and Pinecone's scores are similarities, higher is closer), and the conventions do not say.
OTEL_GENAI_RETRIEVAL_SCORE_KIND = "otel_genai.retrieval.score.kind"  # "distance" | "similarity"
OTEL_GENAI_RETRIEVAL_SCORE_METRIC = "otel_genai.retrieval.score.metric"  # "l2", "cosine", "ip", ...
OTEL_GENAI_RETRIEVAL_QUERY_COUNT = "otel_genai.retrieval.query.count"  # batch calls: queries in one call

# --- database (borrowed, mostly Stable; vector stores have no db.system.name of their own) ------------
DB_SYSTEM_NAME = "db.system.name"
DB_COLLECTION_NAME = "db.collection.name"
DB_NAMESPACE = "db.namespace"
DB_OPERATION_NAME = "db.operation.name"
DB_RESPONSE_RETURNED_ROWS = "db.response.returned_rows"
# Ours: how many records a write carried (ids added, points upserted, ids deleted).
OTEL_GENAI_DB_RECORD_COUNT = "otel_genai.db.record.count"

SCORE_DISTANCE = "distance"
SCORE_SIMILARITY = "similarity"

# --- OpenAI refinements -----------------------------------------------------------------------
OPENAI_API_TYPE = "openai.api.type"
OPENAI_REQUEST_SERVICE_TIER = "openai.request.service_tier"
OPENAI_RESPONSE_SERVICE_TIER = "openai.response.service_tier"
OPENAI_RESPONSE_SYSTEM_FINGERPRINT = "openai.response.system_fingerprint"

# --- Anthropic: the SDK's own name for the id of the request (its ``request-id`` header) -------------
ANTHROPIC_REQUEST_ID = "anthropic.request.id"

# --- Groq (groq.py; no Groq conventions yet): the request id Groq support asks for (``x_groq.id``), how
# reasoning was asked to come back (hidden / raw / parsed), and where the call's time went as the API
# reports it in ``usage`` (seconds: queued, reading the prompt, generating)
GROQ_REQUEST_ID = "groq.request.id"
GROQ_REQUEST_REASONING_FORMAT = "groq.request.reasoning_format"
GROQ_USAGE_QUEUE_TIME = "groq.usage.queue_time"
GROQ_USAGE_PROMPT_TIME = "groq.usage.prompt_time"
GROQ_USAGE_COMPLETION_TIME = "groq.usage.completion_time"

# --- AWS Bedrock refinements (aws-bedrock.md) ---------------------------------------------------
AWS_BEDROCK_GUARDRAIL_ID = "aws.bedrock.guardrail.id"
AWS_BEDROCK_KNOWLEDGE_BASE_ID = "aws.bedrock.knowledge_base.id"
# core semconv (aws.md): the request id AWS answered with (x-amzn-RequestId); Converse has no response id
AWS_REQUEST_ID = "aws.request_id"

# --- Ollama: the server's own timings of a call (the API's nanoseconds, in seconds here; no convention
# names them). The load time is what a cold start costs, which the span's duration alone cannot tell apart
# from a slow answer; prompt_eval and eval are reading the prompt and generating the answer.
OLLAMA_RESPONSE_LOAD_DURATION = "ollama.response.load_duration"
OLLAMA_RESPONSE_PROMPT_EVAL_DURATION = "ollama.response.prompt_eval_duration"
OLLAMA_RESPONSE_EVAL_DURATION = "ollama.response.eval_duration"

# --- Mistral AI: a request flag no convention names. ``safe_prompt`` puts Mistral's safety prompt in front
# of the conversation, which changes the answer as a system instruction would (recorded only when true).
MISTRAL_AI_REQUEST_SAFE_PROMPT = "mistral_ai.request.safe_prompt"

# --- Cohere (cohere.py): how many grounding documents a chat request carried (``documents``, RAG). Their
# text is content, and no convention has an attribute for a chat's documents; the count is not content.
COHERE_REQUEST_DOCUMENT_COUNT = "cohere.request.document.count"

# --- ours: facts the conventions have no name for (never content) -----------------------------
# Model-requested tool calls, visible without content capture: how many, which tools, which ids.
OTEL_GENAI_RESPONSE_TOOL_CALL_COUNT = "otel_genai.response.tool_call.count"
OTEL_GENAI_RESPONSE_TOOL_CALL_NAMES = "otel_genai.response.tool_call.names"
OTEL_GENAI_RESPONSE_TOOL_CALL_IDS = "otel_genai.response.tool_call.ids"
# A guardrail an agent ran (the OpenAI Agents SDK's): an event on the agent's span, its name and whether its
# tripwire triggered (the conventions have no guardrail names yet).
OTEL_GENAI_GUARDRAIL_EVENT = "otel_genai.guardrail"
OTEL_GENAI_GUARDRAIL_NAME = "otel_genai.guardrail.name"
OTEL_GENAI_GUARDRAIL_TRIGGERED = "otel_genai.guardrail.triggered"

# --- LLMOps: release, drift, prompts, cost, attribution (``llmops/``) -----------------------------
# The release manifest in force (``instrument(release=...)``): every key of it under this prefix, on every
# span (feature and version also on every metric).
OTEL_GENAI_RELEASE_PREFIX = "otel_genai.release."
OTEL_GENAI_RELEASE_FEATURE = "otel_genai.release.feature"
OTEL_GENAI_RELEASE_VERSION = "otel_genai.release.version"
# What differs from the manifest on this call (a string array of DRIFT_*), and the counter of it by kind.
OTEL_GENAI_RELEASE_DRIFT = "otel_genai.release.drift"
OTEL_GENAI_RELEASE_DRIFT_KIND = "otel_genai.release.drift.kind"
DRIFT_MODEL_VERSION = "model_version"  # the answering model is not the pinned one
DRIFT_MODEL = "model"  # the request named another model (or provider) than the manifest
DRIFT_TEMPERATURE = "temperature"
DRIFT_MAX_TOKENS = "max_tokens"
DRIFT_TOP_K = "top_k"  # a retrieval asked for another top_k than the manifest's
DRIFT_EMBEDDING_MODEL = "embedding_model"  # an embeddings call used another model than the index's
# Prompts (genai#179): the named template and its version; variables are content (..._PROMPT_VARIABLE_PREFIX)
GEN_AI_PROMPT_NAME = "gen_ai.prompt.name"
GEN_AI_PROMPT_VERSION = "gen_ai.prompt.version"
# Short stable hashes, recorded whatever the capture mode: the system instructions and the tool schema.
OTEL_GENAI_PROMPT_FINGERPRINT = "otel_genai.prompt.fingerprint"
OTEL_GENAI_TOOL_DEFINITIONS_FINGERPRINT = "otel_genai.tool.definitions.fingerprint"
# Cost (the open proposal genai#443); the price table that priced it (name@date) is ours.
GEN_AI_USAGE_COST_AMOUNT = "gen_ai.usage.cost.amount"
GEN_AI_USAGE_COST_CURRENCY = "gen_ai.usage.cost.currency"
GEN_AI_USAGE_COST_SOURCE = "gen_ai.usage.cost.source"
COST_SOURCE_PROVIDER = "provider"  # the response carried its price
COST_SOURCE_LOCAL = "local"  # tokens x a price table
OTEL_GENAI_USAGE_COST_PRICE_TABLE = "otel_genai.usage.cost.price_table"
# Attribution (``otel_genai.attributes(...)`` or W3C baggage)
OTEL_GENAI_TENANT_ID = "otel_genai.tenant.id"
OTEL_GENAI_FEATURE = "otel_genai.feature"
SESSION_ID = "session.id"
ENDUSER_PSEUDO_ID = "enduser.pseudo.id"  # an HMAC of the user id: the raw id stays in the process
ENDUSER_ID = "enduser.id"  # only when the application opts in to raw user ids
METRIC_VALUE_OTHER = "_other"  # a tenant / feature / prompt beyond the metric allow-list

# --- values -----------------------------------------------------------------------------------
OPERATION_CHAT = "chat"
OPERATION_GENERATE_CONTENT = "generate_content"  # Gemini's generateContent (multimodal generation)
OPERATION_TEXT_COMPLETION = "text_completion"
OPERATION_EMBEDDINGS = "embeddings"
OPERATION_RETRIEVAL = "retrieval"
OPERATION_EXECUTE_TOOL = "execute_tool"
OPERATION_INVOKE_AGENT = "invoke_agent"
OPERATION_INVOKE_WORKFLOW = "invoke_workflow"

PROVIDER_OPENAI = "openai"
PROVIDER_AZURE_OPENAI = "azure.ai.openai"
PROVIDER_ANTHROPIC = "anthropic"
PROVIDER_AWS_BEDROCK = "aws.bedrock"
PROVIDER_GCP_GEMINI = "gcp.gemini"  # generativelanguage.googleapis.com (the Gemini Developer API)
PROVIDER_GCP_VERTEX_AI = "gcp.vertex_ai"  # aiplatform.googleapis.com
PROVIDER_GCP_GEN_AI = "gcp.gen_ai"  # a Google backend we cannot tell apart
PROVIDER_AZURE_AI_INFERENCE = "azure.ai.inference"
PROVIDER_COHERE = "cohere"
PROVIDER_DEEPSEEK = "deepseek"
PROVIDER_GROQ = "groq"
PROVIDER_IBM_WATSONX_AI = "ibm.watsonx.ai"
PROVIDER_MISTRAL_AI = "mistral_ai"
PROVIDER_PERPLEXITY = "perplexity"
PROVIDER_X_AI = "x_ai"  # the deprecated gen_ai.system spelled it "xai"
# Not (yet) well-known values of the conventions, which allow others: the name each project goes by
# (lower case, ``_`` for spaces, as the well-known ones are written).
PROVIDER_OLLAMA = "ollama"
PROVIDER_VLLM = "vllm"
PROVIDER_OPENROUTER = "openrouter"
PROVIDER_TOGETHER_AI = "together_ai"
PROVIDER_FIREWORKS_AI = "fireworks_ai"
PROVIDER_CEREBRAS = "cerebras"
PROVIDER_LITELLM = "litellm"  # a LiteLLM proxy answering as an OpenAI-compatible server

# --- evaluations (the gen_ai.evaluation.result event) ---------------------------------------------
EVENT_EVALUATION_RESULT = "gen_ai.evaluation.result"
GEN_AI_EVALUATION_NAME = "gen_ai.evaluation.name"
GEN_AI_EVALUATION_SCORE_VALUE = "gen_ai.evaluation.score.value"
GEN_AI_EVALUATION_SCORE_LABEL = "gen_ai.evaluation.score.label"
GEN_AI_EVALUATION_EXPLANATION = "gen_ai.evaluation.explanation"
# the built-in evaluators' names (issue 16)
EVALUATION_SCHEMA_VALID = "schema_valid"
EVALUATION_GROUNDEDNESS = "groundedness"
EVALUATION_PII_DETECTED = "pii_detected"
EVALUATION_REFUSAL = "refusal"
# on a model span: an evaluator's own call (an LLM judge), never evaluated itself
OTEL_GENAI_EVALUATION_JUDGE = "otel_genai.evaluation.judge"
# on an offline suite item's workflow span (`otel-genai eval`): the suite's name and the item's id
OTEL_GENAI_EVALUATION_SUITE = "otel_genai.evaluation.suite"
OTEL_GENAI_EVALUATION_ITEM_ID = "otel_genai.evaluation.item.id"

TOKEN_TYPE = "gen_ai.token.type"
TOKEN_TYPE_INPUT = "input"
TOKEN_TYPE_OUTPUT = "output"

# --- metrics (names, units and the semconv bucket advice) -------------------------------------
METRIC_TOKEN_USAGE = "gen_ai.client.token.usage"
METRIC_OPERATION_DURATION = "gen_ai.client.operation.duration"
METRIC_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
METRIC_TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk"
METRIC_DB_OPERATION_DURATION = "db.client.operation.duration"
METRIC_EXECUTE_TOOL_DURATION = "gen_ai.execute_tool.duration"
METRIC_INVOKE_AGENT_DURATION = "gen_ai.invoke_agent.duration"  # util-genai's names
METRIC_INVOKE_WORKFLOW_DURATION = "gen_ai.invoke_workflow.duration"
# util-genai's advice: an agent run 0.1 s to ~7 min (doubling), a workflow 1 s to 2 h
AGENT_DURATION_BUCKETS = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6)
WORKFLOW_DURATION_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)
# the open cost proposal (genai#443); unit: the currency, e.g. "{USD}"
METRIC_OPERATION_COST = "gen_ai.client.operation.cost"
METRIC_RELEASE_DRIFT = "otel_genai.release.drift"  # a counter, one per drifted kind per call
# Evaluation scores by evaluation name (the conventions define the event, gen_ai.evaluation.result, and no
# metric yet): a histogram of gen_ai.evaluation.score.value in [0, 1] for the built-in evaluators, so a
# backend charts rates (count by label) and means (sum / count) and alerts on them.
METRIC_EVALUATION_SCORE = "otel_genai.evaluation.score"
EVALUATION_SCORE_BUCKETS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
# dollars per call: a tenth of a cent to tens of dollars
COST_BUCKETS = (
    0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50,
)  # fmt: skip

TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
# db.client.operation.duration's advice (database conventions)
DB_DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10)
DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip

# --- events -----------------------------------------------------------------------------------
EVENT_INFERENCE_DETAILS = "gen_ai.client.inference.operation.details"
