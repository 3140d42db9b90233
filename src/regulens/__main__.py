from regulens.entry import main

main()
