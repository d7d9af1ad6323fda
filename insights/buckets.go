package insights

// Response times are histogrammed in buckets two significant digits wide:
// every second below 100 s is its own bucket, then 100-109 s, 110-119 s, …,
// 1000-1099 s and so on. A bucket is named by its lower bound. Reads find
// the bucket holding a percentile's rank from the roll-up, then read the
// exact value inside it, so the histogram only has to narrow the search.

// bucketOf returns the bucket holding s seconds.
func bucketOf(s int32) int32 {
	if s < 100 {
		if s < 0 {
			return 0
		}
		return s
	}
	w := bucketWidth(s)
	return s / w * w
}

// bucketWidth is the width of the bucket holding s (or starting at s).
func bucketWidth(s int32) int32 {
	w := int32(1)
	for s >= 100 {
		s /= 10
		w *= 10
	}
	return w
}
