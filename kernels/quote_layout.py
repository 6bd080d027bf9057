"""Column layout of the quote kernel's parameter and state matrices (one row per config).

Parameters are float64 (integers stored exactly); state is a float64 matrix (money, queue
positions) and an int64 matrix (prices in ticks, times, counts, the in-flight queues), carried
between row chunks. The two quote sides use blocks of columns at ``side * SIDE_*_WIDTH``
(side 0 is the bid, 1 the ask). Semantics: ``docs/quote.md``.
"""

# Queue models (P_QUEUE).
QUEUE_RISK_AVERSE = 0
QUEUE_PROB_POWER = 1
QUEUE_PROB_LOG = 2

NO_PRICE = -(2**62)  # "no quote" where a price in ticks is expected

MAX_IN_FLIGHT = 16  # messages travelling per side; a decision beyond it waits (``throttled``)
MAX_UNSEEN = 16  # fills not yet seen by the strategy; beyond it the oldest is seen early

# Parameters, float64 [P, N_PARAMS].
P_SIGNAL = 0
P_HALF_SPREAD = 1  # ticks
P_SKEW_BPS = 2  # centre moves by skew_bps * 1e-4 * x of the mid
P_INV_SKEW = 3  # ticks per `size` of seen position
P_SIZE = 4  # base units per quote
P_MAX_POSITION = 5  # base units
P_REQUOTE = 6  # rows or ns between decisions; 0 = every row
P_REQUOTE_IS_TIME = 7
P_ENTRY_LATENCY = 8  # rows or ns from sending an order to its arrival
P_ENTRY_LATENCY_IS_TIME = 9
P_RESPONSE_LATENCY = 10  # rows or ns from a fill to the strategy seeing it
P_RESPONSE_LATENCY_IS_TIME = 11
P_QUEUE = 12  # QUEUE_*
P_QUEUE_POWER = 13  # n of prob_power
P_PARTIAL = 14  # 1 = partial fills
P_MAKER_FEE_BPS = 15  # negative = rebate
P_TAKER_FEE_BPS = 16
P_STOP_BPS = 17  # 0 = off
P_MAX_HOLD = 18  # rows or ns; < 0 = off
P_MAX_HOLD_IS_TIME = 19
P_COOLDOWN = 20  # rows after an exit before quoting again
N_PARAMS = 21

# Float state, float64 [P, N_FLOAT].
F_CASH = 0
F_POSITION = 1  # real position, signed base units
F_SEEN_POSITION = 2
F_SEEN_AVG_PX = 3
F_FEES = 4
F_TURNOVER = 5
F_MAKER_VOLUME = 6
F_PLACED_VOLUME = 7
F_ADVERSE_SUM = 8  # sum of per-fill adverse selection, fractions
F_MAX_ABS_POSITION = 9
F_PEAK = 10
F_MAX_DRAWDOWN = 11
F_BUCKET_START_EQUITY = 12
F_LAST_EQUITY = 13
F_SHARPE_MEAN = 14
F_SHARPE_M2 = 15
F_MARKET_QTY = 16  # signed size of the market order in flight
# Per side (F_SIDE + side * SIDE_F_WIDTH + ...): the resting quote.
F_SIDE = 17
SF_REMAINING = 0
SF_AHEAD = 1  # displayed size ahead, base units; inf while unknown
SF_MET = 2  # V: size at the quote's price met in trades this row
SIDE_F_WIDTH = 3
# Unseen fills (F_UNSEEN + k * UNSEEN_F_WIDTH + ...), a ring of MAX_UNSEEN.
F_UNSEEN = F_SIDE + 2 * SIDE_F_WIDTH
UF_QTY = 0  # signed base units
UF_PX = 1
UNSEEN_F_WIDTH = 2
N_FLOAT = F_UNSEEN + MAX_UNSEEN * UNSEEN_F_WIDTH

# Integer state, int64 [P, N_INT].
I_FILLS = 0  # maker fills
I_ADVERSE_N = 1  # maker fills with a mid 1 s later
I_TAKER_EXITS = 2
I_REJECTED = 3
I_THROTTLED = 4
I_SEEN_EARLY = 5
I_RECORDED = 6  # fills written to the record (maker and taker)
I_BUCKET = 7
I_BUCKETS = 8
I_DECIDED = 9  # 1 after the first decision
I_LAST_DECISION = 10  # row or ts of the last decision
I_EXITING = 11
I_NEXT_QUOTE_ROW = 12
I_MARKET = 13  # 0 none, 1 travelling, 2 filled but not seen
I_MARKET_TARGET = 14  # arrival row or ts
I_SEEN_OPEN_TS = 15  # fill time of the fill that opened the seen position
I_SEEN_OPEN_ROW = 16
I_UNSEEN_HEAD = 17
I_UNSEEN_COUNT = 18
# Per side (I_SIDE + side * SIDE_I_WIDTH + ...).
I_SIDE = 19
SI_RESTING = 0  # 1 while a quote rests
SI_PX = 1  # resting price, ticks
SI_ARRIVAL_TS = 2  # the quote meets trades with ts > this
SI_FRESH = 3  # 1: its queue was set from this row's book (no fall this row)
SI_ID = 4  # id of the resting order
SI_LATEST_PX = 5  # price of the latest order sent, ticks, or NO_PRICE
SI_LATEST_LIVE = 6  # 1 while the strategy believes that order stands
SI_LATEST_ID = 7  # ids count the orders sent on the side, from 1
SI_RING_HEAD = 8
SI_RING_COUNT = 9
SI_RING = 10  # MAX_IN_FLIGHT (target, price) pairs
SIDE_I_WIDTH = SI_RING + 2 * MAX_IN_FLIGHT
# Unseen fills (I_UNSEEN + k * UNSEEN_I_WIDTH + ...).
I_UNSEEN = I_SIDE + 2 * SIDE_I_WIDTH
UI_TARGET = 0  # row or ts at which the strategy sees it
UI_TS = 1  # fill time
UI_ROW = 2
UI_KIND = 3  # UNSEEN_*
UI_ID = 4  # order id (maker) or 0 (market)
UNSEEN_I_WIDTH = 5
N_INT = I_UNSEEN + MAX_UNSEEN * UNSEEN_I_WIDTH

UNSEEN_PARTIAL = 0  # a maker fill that leaves its quote resting
UNSEEN_COMPLETES = 1  # + side: a maker fill that completed the quote on that side
UNSEEN_MARKET = 3  # the fill of a market order

MARKET_NONE = 0
MARKET_TRAVELLING = 1
MARKET_UNSEEN = 2

# Recorded fills: float64 [N, N_REC_FLOAT] and int64 [N, N_REC_INT].
R_PX = 0
R_QTY = 1  # signed base units (+ bought)
R_FEE = 2
R_POSITION = 3  # real position after the fill
N_REC_FLOAT = 4
R_ROW = 0
R_TS = 1
R_MAKER = 2  # 1 maker (a quote), 0 taker (a market order)
R_ORDER_ID = 3  # the quote's id on its side; 0 for a market order
N_REC_INT = 4
