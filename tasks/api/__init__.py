"""The REST API: DRF viewsets over the data layer's store, and everything HTTP about them."""
