"""Column layout of the sweep kernel's parameter and state matrices (one row per config).

Parameters are float64 (integers stored exactly); state is split into a float64 matrix (money,
running statistics) and an int64 matrix (rows, times, counts), carried between row chunks.
"""

# Parameters, float64 [P, N_PARAMS].
P_SIGNAL = 0  # row of the signal matrix
P_ENTRY = 1  # enter when x >= entry (long) or x <= -entry (short); > 0
P_EXIT = 2  # leave a long when x <= exit, a short when x >= -exit
P_MAX_HOLD = 3  # rows or ns held from the entry fill; < 0 is off
P_MAX_HOLD_IS_TIME = 4
P_STOP_BPS = 5  # 0 is off
P_TAKE_PROFIT_BPS = 6  # 0 is off
P_SIZE = 7  # base units
P_LATENCY = 8  # rows or ns from decision to fill
P_LATENCY_IS_TIME = 9
P_FEE_BPS = 10  # taker fee, bps of notional
P_COOLDOWN = 11  # rows after an exit fill before the next entry decision
P_DIRECTION = 12  # +1 long only, -1 short only, 0 both
N_PARAMS = 13

# Float state, float64 [P, N_FLOAT].
F_CASH = 0
F_POSITION = 1  # signed base units
F_ENTRY_PX = 2
F_ENTRY_FEE = 3
F_GROSS = 4
F_FEES = 5
F_TURNOVER = 6
F_PEAK = 7
F_MAX_DRAWDOWN = 8
F_SUM_WIN = 9
F_SUM_LOSS = 10
F_HOLD_NS = 11
F_EXPOSURE_NS = 12
F_BUCKET_START_EQUITY = 13
F_LAST_EQUITY = 14
F_SHARPE_MEAN = 15
F_SHARPE_M2 = 16
N_FLOAT = 17

# Integer state, int64 [P, N_INT].
I_PENDING = 0  # 0 none, 1 entry, 2 exit
I_PENDING_SIDE = 1  # +1 buy, -1 sell
I_TARGET = 2  # fill row, or fill time in ns
I_TARGET_IS_TIME = 3
I_ENTRY_ROW = 4
I_ENTRY_TS = 5
I_NEXT_ENTRY_ROW = 6
I_TRADES = 7
I_WINS = 8
I_DEPTH_EXHAUSTED = 9
I_BUCKET = 10
I_BUCKETS = 11
I_LAST_TS = 12
I_STARTED = 13
I_DECISION_ROW = 14  # row the pending order was decided at
N_INT = 15

PENDING_NONE = 0
PENDING_ENTRY = 1
PENDING_EXIT = 2

# Recorded trades: float64 [N, N_REC_FLOAT] and int64 [N, N_REC_INT].
R_SIZE = 0  # signed base units
R_ENTRY_PX = 1
R_EXIT_PX = 2
R_ENTRY_FEE = 3
R_EXIT_FEE = 4
R_NET = 5
N_REC_FLOAT = 6
R_ENTRY_ROW = 0
R_ENTRY_TS = 1
R_EXIT_ROW = 2
R_EXIT_TS = 3
R_ENTRY_DECISION_ROW = 4
R_EXIT_DECISION_ROW = 5
N_REC_INT = 6
