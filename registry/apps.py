from django.apps import AppConfig


class RegistryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "registry"
    verbose_name = "MBC registry"

    def ready(self):
        from django.urls import register_converter

        from .converters import RegistryIdConverter

        # Before any URL configuration loads: pages and API name patients this way.
        register_converter(RegistryIdConverter, "registry_id")

        from simple_history.signals import pre_create_historical_record

        from .models.trace import record_api_token

        pre_create_historical_record.connect(record_api_token, dispatch_uid="api-token-trace")
