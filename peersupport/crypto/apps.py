from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "peersupport.crypto"
    verbose_name = "Encryption"

    def ready(self):
        from . import checks  # noqa: F401  (registers the key checks)
        from .keyring import keyring

        # A malformed ENCRYPTION_KEYS stops start-up here, naming the variable.
        keyring()
