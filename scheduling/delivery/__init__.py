"""Delivery channels: the development files, GOV.UK Notify, SMTP, the in-app inbox."""
