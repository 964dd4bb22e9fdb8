"""The edge: what every request passes before and after the routes, one middleware a module.

`api.edge.stack` composes them, outermost first: request id and log line, security headers, head limits
(414, 431), the last answer to an unexpected error, CORS, empty parameters, ETags and HEAD, write keys
and rate limits, and the body size limit (413). `api.edge.protocol` applies the head limits and the
header timeout in the HTTP server itself, below all of them.
"""
