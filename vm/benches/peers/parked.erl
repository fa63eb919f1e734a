%% Parked: N processes block waiting for one message; report resident memory each.
-module(parked).
-export([main/1]).

rss_kib() ->
    {ok, B} = file:read_file("/proc/self/status"),
    [L] = [X || X <- binary:split(B, <<"\n">>, [global]), binary:part(X, 0, min(6, byte_size(X))) =:= <<"VmRSS:">>],
    [_, V | _] = binary:split(L, [<<" ">>, <<"\t">>], [global, trim_all]),
    binary_to_integer(V).

main(Args) ->
    N = case Args of [A | _] -> list_to_integer(A); [] -> 1000000 end,
    Before = rss_kib(),
    Self = self(),
    Pids = [spawn(fun() -> receive go -> Self ! done end end) || _ <- lists:seq(1, N)],
    timer:sleep(200),
    After = rss_kib(),
    [P ! go || P <- Pids],
    [receive done -> ok end || _ <- Pids],
    io:format("~p parked, ~.2f KiB resident each~n", [N, (After - Before) / N]).
