"""Neural-network playground engine: data, models, training and figures."""
