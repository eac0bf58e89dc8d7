from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = _("年度考核")

    def ready(self) -> None:
        # Flush refused-attempt audit rows once the rolled-back transaction is over.
        from assessments import freeze

        freeze.connect_signals()
