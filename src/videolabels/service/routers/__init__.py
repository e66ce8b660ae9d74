"""HTTP routes, thin: parse, authorize, call the service, shape the response."""
