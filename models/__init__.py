"""What defines and builds Miyraa's model: network, corpus, training and the store build."""
