"""HTTP controllers: parse, authorise, call one service, shape the response."""
