"""Countries and regions: resolve any country input to ISO3 and look up UN M49 and IOM regions, offline."""

from ctdhub.geo.countries import Country, CountryResolver, Resolution, resolver

__all__ = ["Country", "CountryResolver", "Resolution", "resolver"]
