// Tests of the MetricFlow module land here (this placeholder goes when the first test file arrives).
import MetricFlow
