"""Uvicorn's entry point: ``uvicorn bot.api.factory:app --factory`` builds from the environment."""

from fastapi import FastAPI

from bot.api.app import create_app
from bot.settings import load_settings


def app() -> FastAPI:
    return create_app(load_settings())
