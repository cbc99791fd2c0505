from ugrad_quest.cli.main import main

main()
