"""Northwind Shop custom actions (rasa-sdk)."""
