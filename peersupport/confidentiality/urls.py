app_name = "confidentiality"

urlpatterns = []
