"""The tracing vocabulary: every span attribute, event and metric name the product uses.

Domain apps import names from here and never spell them by hand. OpenTelemetry
semantic-convention names are used wherever one exists (user.*, error.type,
messaging.*); the rest live under the ``order.*``, ``model.*`` and
``alexandrite.*`` namespaces.
"""

# --- order -------------------------------------------------------------------
ORDER_ID = "order.id"
ORDER_STATUS = "order.status"  # after the operation
ORDER_PREVIOUS_STATUS = "order.previous_status"  # before a transition
ORDER_CUSTOMER_ID = "order.customer.id"
ORDER_SELLER_ID = "order.seller.id"
ORDER_OPERATOR_ID = "order.operator.id"
ORDER_PRICE = "order.price"
ORDER_STUCK_SINCE = "order.stuck_since"

# --- who is calling (semantic conventions: user.*) -------------------------------
USER_ID = "user.id"
USER_ROLES = "user.roles"
API_CLIENT_ID = "alexandrite.api_client.id"  # B2B API key id, never the key itself
# On a transition: shop | crm | mes, the system of the role that made the move (lifecycle.acting_system).
# On an error: the system whose work failed, by task or API path, or "web" (other paths) and
# "messaging" (a publish that failed).
SYSTEM = "alexandrite.system"

# --- the 3D model (never the file's bytes, nor its name: customers name files after people) ---
MODEL_FORMAT = "model.format"
MODEL_SIZE = "model.file.size"  # bytes
MODEL_SHA256 = "model.file.sha256"
MODEL_VOLUME = "model.volume_mm3"
MODEL_SURFACE_AREA = "model.surface_area_mm2"
MODEL_TRIANGLE_COUNT = "model.triangle_count"
MODEL_BBOX = "model.bbox_mm"  # [x, y, z] extent
MODEL_WATERTIGHT = "model.watertight"

# --- API request parameters (non-personal fields only, see tracing.redaction) -----
REQUEST_PARAM_PREFIX = "request.param."
# Set by the Django instrumentation; tracing.redaction masks personal query values in them.
HTTP_TARGET = "http.target"
HTTP_URL = "http.url"
URL_FULL = "url.full"
URL_QUERY = "url.query"
# The caller's address, set by the Django instrumentation (old and new conventions);
# tracing.redaction keeps only its network (/24, IPv6 /48).
CLIENT_ADDRESS_ATTRIBUTES = ("net.peer.ip", "http.client_ip", "net.sock.peer.addr", "client.address",
                             "network.peer.address")

# The caller's User-Agent, set by the Django instrumentation (new and old conventions);
# tracing.redaction keeps only the products it knows, never the comments (names, e-mails).
USER_AGENT_ATTRIBUTES = ("user_agent.original", "http.user_agent")

# On the link from a request's span to the trace context its caller sent (not continued).
LINK_KIND = "alexandrite.link.kind"
LINK_KIND_CALLER = "caller"

# --- errors (semantic conventions: error.type; status description holds the message)
ERROR_TYPE = "error.type"
ERROR_MESSAGE = "error.message"
# A 4xx answer is a refusal, not a failure: its code and message, no error.type, status unset.
REFUSAL_CODE = "alexandrite.refusal.code"
REFUSAL_MESSAGE = "alexandrite.refusal.message"

# --- messaging (semantic conventions for RabbitMQ) -----------------------------------
MESSAGING_SYSTEM = "messaging.system"
MESSAGING_OPERATION_NAME = "messaging.operation.name"
MESSAGING_OPERATION_TYPE = "messaging.operation.type"
MESSAGING_DESTINATION_NAME = "messaging.destination.name"
MESSAGING_ROUTING_KEY = "messaging.rabbitmq.destination.routing_key"
MESSAGING_MESSAGE_ID = "messaging.message.id"
MESSAGING_CONSUMER_GROUP = "messaging.consumer.group.name"  # the queue we consume from

# --- span events ---------------------------------------------------------------
EVENT_TRANSITION = "order.transition"
EVENT_TRANSITION_AT = "order.transition.at"  # ISO time recorded in the history row
# Whose record moved: "order" (the shop's order) or "mes_job" (MES's mirror of it).
TRANSITION_RECORD = "alexandrite.transition.record"
# On the transition event, in seconds: time spent in the status left, and (on CLOSED) creation to close.
# The Collector derives its copy of the stage and order duration histograms from them.
TRANSITION_STAGE_SECONDS = "order.stage.duration"
TRANSITION_ORDER_SECONDS = "order.duration"
EVENT_TASK_RETRY = "celery.retry"
EVENT_REDISPATCHED = "order.redispatched"  # the stuck-order detector sent a lost message again
REDISPATCH_CAUSE = "alexandrite.redispatch.cause"  # which message was lost (the stuck-order detector)
# A pricing message about an older submission of the order than its current one: ignored, not an error.
EVENT_STALE_MESSAGE_IGNORED = "order.stale_message_ignored"
PRICING_SUBMISSION = "alexandrite.pricing.submission"  # the submission the message is about
PRICING_CURRENT_SUBMISSION = "alexandrite.pricing.current_submission"  # the one the order (or job) is at

# --- metrics (OpenTelemetry names; Prometheus sees dots as underscores + unit) -----
METRIC_ORDER_DURATION = "alexandrite.order.duration"  # s, creation -> CLOSED
METRIC_STAGE_DURATION = "alexandrite.order.stage.duration"  # s, per status left
METRIC_TRANSITIONS = "alexandrite.order.transitions"  # counter, previous -> status
METRIC_ERRORS = "alexandrite.order.errors"  # counter, error.type + system
METRIC_STUCK = "alexandrite.orders.stuck"  # gauge, by order.status
METRIC_REDISPATCHED = "alexandrite.orders.redispatched"  # counter

# --- SQL (tracing.sql): statements as facts about the span that ran them -----------------
# On every server and task span, per Django database alias ("default" is the shop's, "mes" MES's).
DB_DEFAULT_STATEMENTS = "alexandrite.db.default.statements"
DB_DEFAULT_DURATION = "alexandrite.db.default.duration_ms"
DB_MES_STATEMENTS = "alexandrite.db.mes.statements"
DB_MES_DURATION = "alexandrite.db.mes.duration_ms"
# (statements, duration) per alias; an alias not listed here gets the same pattern.
DB_TOTALS = {"default": (DB_DEFAULT_STATEMENTS, DB_DEFAULT_DURATION), "mes": (DB_MES_STATEMENTS, DB_MES_DURATION)}
DB_TOTALS_PATTERN = ("alexandrite.db.{alias}.statements", "alexandrite.db.{alias}.duration_ms")
# On a slow or failed statement's CLIENT span: the same names the psycopg2 instrumentation uses,
# so that the full-detail mode (TRACING_SQL_SPANS=all) and the default read alike in Jaeger.
DB_SYSTEM = "db.system"
DB_NAME = "db.name"
DB_USER = "db.user"
DB_STATEMENT = "db.statement"  # with its placeholders (%s), never the parameter values
DB_RESPONSE_STATUS_CODE = "db.response.status_code"  # PostgreSQL's SQLSTATE of a failed statement
DB_ALIAS = "alexandrite.db.alias"  # Django's name of the database
NET_PEER_NAME = "net.peer.name"
NET_PEER_PORT = "net.peer.port"
