"""Test and benchmark support. Needs the project's dev dependencies (testcontainers)."""
