"""Shared package of the zero-waste-city services: event contracts, topic registry, settings
and the adapters every service uses (Kafka producer, health, metrics, topic provisioning)."""
