from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "peersupport.releases"
    verbose_name = "Releases of information and disclosures"
