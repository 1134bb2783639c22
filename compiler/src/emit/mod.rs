//! SSM IR to the weight file.
