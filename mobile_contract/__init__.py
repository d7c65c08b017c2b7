"""The patient API's versioned contract: schemas, the committed OpenAPI document, the check."""
