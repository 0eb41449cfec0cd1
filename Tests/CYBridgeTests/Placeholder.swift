// Tests of the CYBridge module land here (this placeholder goes when the first test file arrives).
import CYBridge
