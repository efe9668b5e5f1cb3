"""A facility's own cluster class, as a site ships it in its software stack:
a LocalCluster subclass with the site's defaults baked in. The site-type
tests point the companion's dask config at it (site-types.yaml)."""

from distributed import LocalCluster


class FacilityCluster(LocalCluster):
    """LocalCluster on loopback, each worker tagged with the facility's partition."""

    def __init__(self, *, partition="interactive", threads_per_worker=1, **kwargs):
        self.partition = partition
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("dashboard_address", "127.0.0.1:0")
        kwargs.setdefault("resources", {partition: 1})
        super().__init__(threads_per_worker=threads_per_worker, **kwargs)
