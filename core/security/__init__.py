"""What every answer and every state-changing request passes through, whatever the route.

* :mod:`core.security.headers`: the browser-facing headers (CSP, framing, referrer,
  sniffing, caching) on every answer, errors and 404s included;
* :mod:`core.security.content_type`: a route that reads a JSON body gets only JSON (415 otherwise);
* :mod:`core.security.csrf`: a request that acts by the session cookie must prove it came from
  our own pages (a same-origin ``Origin`` and the double-submitted token);
* :mod:`core.security.middleware`: the ASGI middleware that runs the two request checks.
"""
